import { cleanup, startEndpoint, type EndpointProcess } from '@funcx/testing';
import { expect, test } from '../helpers/fixtures.js';
import { sharedHub } from '../helpers/shared-hub.js';

let probe: EndpointProcess | undefined;
test.afterAll(cleanup);

test('the sidebar shows an endpoint online, then offline soon after its daemon stops, without a reload', async ({
  notebook,
  sidebar,
  page,
}) => {
  probe = await startEndpoint(sharedHub(), { name: 'probe', workers: 1, site: 'Sidebar probe' });
  await notebook.create('sidebar-status', ['print("sidebar")']);
  await sidebar.open();

  await expect(sidebar.endpoint('local')).toHaveAttribute('data-status', /online|busy/);
  await expect(sidebar.endpoint('probe')).toHaveAttribute('data-status', /online|busy/);
  const loads = { count: 0 };
  page.on('load', () => loads.count++);

  await probe.process!.stop();
  await expect(sidebar.endpoint('probe')).toHaveAttribute('data-status', 'offline', { timeout: 15_000 });
  await expect(sidebar.endpoint('local')).toHaveAttribute('data-status', /online|busy/);
  expect(loads.count).toBe(0);
});

test('an endpoint deleted through the hub leaves the sidebar without a reload', async ({ notebook, sidebar, page }) => {
  const hub = sharedHub();
  const doomed = await startEndpoint(hub, { name: 'doomed', workers: 1 });
  await notebook.create('sidebar-removed', ['print("removed")']);
  await sidebar.open();
  await expect(sidebar.endpoint('doomed')).toHaveCount(1);
  const loads = { count: 0 };
  page.on('load', () => loads.count++);

  const response = await fetch(`${hub.url}/v1/endpoints/${doomed.endpointId}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${hub.token}` },
  });
  expect(response.status).toBe(204);
  await expect(sidebar.endpoint('doomed')).toHaveCount(0, { timeout: 10_000 });
  await expect(sidebar.endpoint('local')).toHaveCount(1);
  expect(loads.count).toBe(0);
});

test("the sidebar's task list shows the latest tasks again after a reload", async ({ notebook, sidebar, page }) => {
  await notebook.create('sidebar-recent', ['%%funcx local\nprint("before the reload")']);
  await notebook.run(0);
  await expect(notebook.outputs(0).first()).toContainText('before the reload', { timeout: 30_000 });
  await sidebar.open();
  await expect(sidebar.tasks.first()).toBeVisible();
  const shown = await sidebar.tasks.count();
  const latest = await sidebar.tasks.first().getAttribute('data-task-id');
  await page.reload();
  await sidebar.open();
  // The latest tasks come back from the hub (up to 20); tasks of other specs still running may arrive live beside them.
  const again = sidebar.tasks.and(page.locator(`[data-task-id="${latest}"]`));
  await expect(again).toHaveAttribute('data-task-state', 'success', { timeout: 15_000 });
  expect(await sidebar.tasks.count()).toBeGreaterThanOrEqual(Math.min(shown, 20));
});
