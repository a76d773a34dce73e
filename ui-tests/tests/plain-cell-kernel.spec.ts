import { expect, test } from '../helpers/fixtures.js';

test('a cell without %%funcx still runs on the notebook kernel', async ({ notebook }) => {
  await notebook.create('plain-cell-kernel', ['answer = 6 * 7', 'import sys\nprint(f"kernel says {answer}")\nsys.prefix']);
  await notebook.waitForKernelIdle();

  await notebook.run(0);
  await expect(notebook.prompt(0)).toHaveText(/\[1\]/);
  await notebook.run(1);

  // State kept between cells is the kernel's: an endpoint runs each cell in a fresh namespace.
  await expect(notebook.outputArea(1)).toContainText('kernel says 42');
  await expect(notebook.result(1)).toContainText('.venv');
});
