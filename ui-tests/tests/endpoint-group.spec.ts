import { expect, test } from '../helpers/fixtures.js';
import { sharedHub } from '../helpers/shared-hub.js';

/** An endpoint group of the stack's two endpoints, made through the hub's REST API as `funcx endpoint-groups create` would. */
async function createGroup(name: string, endpoints: string[], policy: string): Promise<void> {
  const hub = sharedHub();
  const response = await fetch(`${hub.url}/v1/endpoint-groups`, {
    method: 'POST',
    headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, endpoints, policy }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

test('a %%funcx group:NAME cell runs on a member of the group, and its task details in the sidebar say where it went and why', async ({
  notebook,
  sidebar,
  page,
}) => {
  await createGroup('ui-pair', ['local', 'cloud'], 'round-robin');
  await notebook.create('endpoint-group', ['%%funcx group:ui-pair\nprint("routed through the group")', 'print("picked from the dialog")']);
  await notebook.run(0);
  await expect(notebook.outputArea(0)).toContainText('routed through the group', { timeout: 30_000 });

  await sidebar.open();
  const task = sidebar.tasks.first();
  await expect(task).toHaveAttribute('data-task-state', 'success');
  await task.locator('.funcx-TaskItem-summary').click();
  const routing = task.locator('.funcx-TaskRouting');
  await expect(routing.locator('.funcx-TaskRouting-how')).toHaveText('by round-robin among group:ui-pair');
  await expect(routing.locator('.funcx-TaskRouting-reason')).toHaveText('next in turn of 2');
  await expect(routing.locator('.funcx-TaskRouting-candidates')).toHaveText('local, cloud');
  await expect(task.locator('.funcx-TaskItem-endpoint')).toHaveText(/^(local|cloud)$/);

  // The endpoint picker lists the group below the endpoints; the second cell runs through it.
  await notebook.contextMenu(1, 'Run cell on endpoint…');
  const picker = page.locator('.jp-Dialog');
  await expect(picker.locator('.funcx-EndpointItem[data-endpoint-name="local"]')).toBeVisible();
  const group = picker.locator('.funcx-GroupItem[data-group-ref="group:ui-pair"]');
  await expect(group).toContainText('round-robin');
  await expect(group).toContainText('2 of 2 online: local, cloud');
  await group.click();
  await picker.locator('.jp-Dialog-button.jp-mod-accept').click();
  await expect(picker).toBeHidden();
  await expect(notebook.outputArea(1)).toContainText('picked from the dialog', { timeout: 30_000 });
  await expect(sidebar.tasks.first().locator('.funcx-TaskItem-endpoint')).toHaveText(/^(local|cloud)$/);
});
