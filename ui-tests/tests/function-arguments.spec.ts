import { expect, test } from '../helpers/fixtures.js';

const FUNCTION_CELL = `def scale(x, factor=2):
    print("scaling", x, "by", factor)
    return x * factor`;

test('a function registered from a cell is called with arguments typed in the notebook', async ({ notebook, page }) => {
  await notebook.create('function-arguments', [FUNCTION_CELL], { funcx: { endpoint: 'local' } });
  await notebook.contextMenu(0, 'Register cell as function…');
  await page.locator('.jp-Dialog .jp-Dialog-button.jp-mod-accept').click();
  await expect(notebook.cell(0).locator('.funcx-CellBadge')).toHaveAttribute('data-function-name', 'scale');

  await notebook.contextMenu(0, 'Call function with arguments…');
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('input').fill('7, factor=3');
  await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
  await expect(notebook.outputArea(0)).toContainText('scaling 7 by 3');
  await expect(notebook.result(0)).toContainText('21');
  expect(((await notebook.metadata(0, 'funcx')) as { arguments?: unknown }).arguments).toEqual({ args: [7], kwargs: { factor: 3 } });
});

test('a %%funcx line with a bad --timeout is an error in the cell whichever way the cell is run', async ({ notebook }) => {
  const BAD = '%%funcx local --timeout soon\nprint("ran")';
  await notebook.create('bad-timeout', [BAD, BAD]);
  await notebook.run(0);
  await expect(notebook.outputArea(0)).toContainText('--timeout needs a number of seconds above 0');

  await notebook.contextMenu(1, 'Run cell on endpoint…');
  await expect(notebook.outputArea(1)).toContainText('--timeout needs a number of seconds above 0');
  await expect(notebook.outputArea(1)).not.toContainText('ran');
});
