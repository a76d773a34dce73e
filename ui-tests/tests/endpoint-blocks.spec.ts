import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, makeTempDir, projectPython, startEndpoint, waitFor } from '@funcx/testing';
import { expect, test } from '../helpers/fixtures.js';
import { sharedHub } from '../helpers/shared-hub.js';

test.afterAll(cleanup);

test("an endpoint's row unfolds its blocks (job id, state, nodes, workers), updated live as blocks come and go", async ({
  notebook,
  sidebar,
}) => {
  const blocky = await startEndpoint(sharedHub(), {
    name: 'blocky',
    workers: 1,
    python: projectPython(),
    config: { init_blocks: 1, min_blocks: 1, max_blocks: 2, max_idletime: 2 },
  });
  const dir = makeTempDir('funcx-ui-blocks-');
  const release = join(dir, 'release');
  const waitCell = (name: string) =>
    `%%funcx blocky --async\nimport os, time\nopen(${JSON.stringify(join(dir, name))}, "w").close()\nwhile not os.path.exists(${JSON.stringify(release)}):\n    time.sleep(0.1)\nprint("${name} released")`;
  await notebook.create('endpoint-blocks', [waitCell('a'), waitCell('b')]);
  await sidebar.open();
  const row = sidebar.endpoint('blocky');
  const toggle = row.locator('.funcx-Blocks-toggle');
  await expect(toggle).toHaveText(/1 block \(local\)/, { timeout: 15_000 });
  await expect(row.locator('.funcx-Block')).toHaveCount(0);

  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await expect(row).not.toHaveClass(/funcx-mod-selected/);
  const [first] = (await blocky.view()).status.blocks!;
  const shown = row.locator(`.funcx-Block[data-job-id="${first.job_id}"]`);
  await expect(shown).toHaveAttribute('data-state', 'running');
  await expect(shown).toContainText(`job ${first.job_id} running, 1/1 node(s), 1 worker(s) (0 busy)`);

  // Two tasks for one worker: a second block is started, and the open list shows it.
  await notebook.run(0);
  await notebook.run(1);
  await waitFor(() => existsSync(join(dir, 'a')), { timeoutMs: 60_000, what: 'the first task to run' });
  await expect(toggle).toHaveText(/2 blocks \(local\)/, { timeout: 15_000 });
  await expect(row.locator('.funcx-Block')).toHaveCount(2);
  await expect(row.locator('.funcx-Block[data-state="running"]')).toHaveCount(2);
  await expect(row.locator('.funcx-Block', { hasText: '(1 busy)' }).first()).toBeVisible();

  // Idle again, the block above min_blocks goes.
  writeFileSync(release, '');
  await expect(notebook.outputArea(0)).toContainText('a released', { timeout: 30_000 });
  await expect(notebook.outputArea(1)).toContainText('b released', { timeout: 30_000 });
  await expect(row.locator('.funcx-Block')).toHaveCount(1, { timeout: 30_000 });
  await expect(toggle).toHaveText(/1 block \(local\)/);

  await toggle.click();
  await expect(row.locator('.funcx-Block')).toHaveCount(0);
});
