import { expect, test } from '../helpers/fixtures.js';

test('a %%funcx cell says that it runs in a fresh namespace: a name from another cell is not there', async ({ notebook }) => {
  await notebook.create('fresh-namespace', ['%%funcx local\nx = 41\nx', '%%funcx local\nx + 1']);
  await notebook.run(0);
  await expect(notebook.result(0)).toContainText('41');
  await expect(notebook.outputArea(0)).toContainText('each %%funcx cell runs in a fresh namespace');

  await notebook.run(1);
  await expect(notebook.outputArea(1)).toContainText("NameError");
  await expect(notebook.outputArea(1)).toContainText('each %%funcx cell runs in a fresh namespace');
});
