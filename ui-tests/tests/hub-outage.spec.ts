import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, makeTempDir, projectPython, startEndpoint, waitFor } from '@funcx/testing';
import { expect, test } from '../helpers/fixtures.js';
import { ownHub } from '../helpers/own-hub.js';

test.afterAll(cleanup);

test('while the hub is away the sidebar says since when, a running cell says it waits, a new run waits keeping its output; after, tasks are read again', async ({
  notebook,
  sidebar,
  page,
}) => {
  const own = await ownHub();
  const ended = join(makeTempDir('funcx-ui-outage-'), 'ended');
  await startEndpoint(own.hub, { name: 'steady', workers: 2, python: projectPython() });
  await own.useIn(page);
  try {
    await notebook.create('hub-outage', [
      '%%funcx steady\nprint("first run")',
      `%%funcx steady --async\nimport time\nprint("started", flush=True)\ntime.sleep(3)\nprint("finished")\nopen(${JSON.stringify(ended)}, "w").close()`,
    ]);
    await sidebar.open();
    await expect(sidebar.endpoint('steady')).toHaveAttribute('data-status', /online|busy/, { timeout: 15_000 });
    await notebook.run(0);
    await expect(notebook.outputArea(0)).toContainText('first run', { timeout: 30_000 });
    await notebook.run(1);
    await expect(notebook.outputArea(1)).toContainText('started', { timeout: 30_000 });

    await own.hub.stop();
    await expect(sidebar.panel).toHaveAttribute('data-hub', 'unreachable', { timeout: 15_000 });
    await expect(sidebar.panel.locator('.funcx-Unreachable')).toContainText(/Hub unreachable since \d/);
    await expect(notebook.footer(1)).toHaveAttribute('data-kind', 'note');
    await expect(notebook.footer(1)).toContainText(/Waiting for the hub \(unreachable since .*\): the task goes on at its endpoint/);

    // A new run waits for the hub, and the output of the last run stays.
    await notebook.run(0);
    await expect(notebook.footer(0)).toContainText(/Waiting for the hub .*: the cell runs once it is back/);
    await expect(notebook.outputArea(0)).toContainText('first run');
    // The task at the endpoint ends while the hub is away: its final event reaches no page.
    await waitFor(() => existsSync(ended), { timeoutMs: 30_000, what: 'the task to end at its endpoint' });
    await expect(notebook.outputArea(0)).toContainText('first run');

    await own.hub.start();
    await expect(sidebar.panel).toHaveAttribute('data-hub', 'connected', { timeout: 30_000 });
    await expect(sidebar.panel.locator('.funcx-Unreachable')).toHaveCount(0);
    await expect(notebook.outputArea(1)).toContainText('finished', { timeout: 30_000 });
    await expect(notebook.footer(1)).toHaveAttribute('data-kind', 'ran');
    await expect(notebook.footer(0)).toHaveAttribute('data-kind', 'ran', { timeout: 30_000 });
    await expect(notebook.outputArea(0)).toContainText('first run');
    // Every task the sidebar shows has its state from the hub again: none is left running.
    await expect(sidebar.tasks.first()).toBeVisible();
    await expect(sidebar.panel.locator('.funcx-TaskItem[data-task-state="running"]')).toHaveCount(0, { timeout: 15_000 });
    await expect(sidebar.panel.locator('.funcx-TaskItem[data-task-state="success"]')).toHaveCount(3);
  } finally {
    await own.restore(page);
  }
});
