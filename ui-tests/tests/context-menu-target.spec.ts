import { expect, test } from '../helpers/fixtures.js';

test('right-clicking a cell makes the context menu act on that cell, even when a markdown cell was active', async ({
  notebook,
  page,
}) => {
  await notebook.create('context-menu-target', [
    { markdown: '# Notes' },
    'def first(x=1):\n    return x',
    'def second(y=2):\n    return y * 21',
  ]);
  await notebook.select(0);

  await notebook.cell(2).locator('.jp-InputArea-editor').click({ button: 'right' });
  const register = notebook.menuItem('Register cell as function…');
  await expect(register).toBeVisible();
  await expect(register).not.toHaveClass(/lm-mod-disabled/);
  await register.click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('Registers second() from this cell');
  await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
  await expect(notebook.cell(2).locator('.funcx-CellBadge')).toHaveAttribute('data-function-name', 'second');
  await expect(notebook.cell(1).locator('.funcx-CellBadge')).toHaveCount(0);

  await notebook.cell(1).locator('.jp-InputArea-editor').click({ button: 'right' });
  await notebook.menuItem('Run cell on endpoint…').click();
  const picker = page.locator('.jp-Dialog');
  await picker.locator('.funcx-EndpointItem[data-endpoint-name="local"]').click();
  await picker.locator('.jp-Dialog-button.jp-mod-accept').click();
  await expect(notebook.footer(1)).toContainText('local');
  await expect(notebook.outputs(2)).toHaveCount(0);
});
