import { expect, test } from '../helpers/fixtures.js';

const SLOW = `%%funcx local
import time
print("started")
time.sleep(120)
"never returned"`;

test("the notebook's stop button cancels a running task; the status bar and the task list follow", async ({
  notebook,
  sidebar,
  page,
}) => {
  await notebook.create('cancel-task', [SLOW]);
  await sidebar.open();
  const status = page.locator('.funcx-StatusItem');
  await expect(status).toHaveAttribute('data-state', 'connected');

  await notebook.run(0);
  await expect(notebook.outputArea(0)).toContainText('started');
  await expect(status).toContainText('1 running');
  await expect(sidebar.tasks.first()).toHaveAttribute('data-task-state', 'running');

  await notebook.panel.locator('.jp-Toolbar [data-command="notebook:interrupt-kernel"]').click();

  await expect(sidebar.tasks.first()).toHaveAttribute('data-task-state', 'cancelled', { timeout: 15_000 });
  await expect(status).toContainText('0 running');
  await expect(notebook.prompt(0)).not.toHaveText(/\*/);
  await expect(notebook.outputArea(0)).not.toContainText('never returned');
});
