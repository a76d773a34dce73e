import { expect, test } from '../helpers/fixtures.js';

const MENU_ITEMS = [
  'Register cell as function…',
  'Run cell on endpoint…',
  /^Run cell on (local|endpoint \(choose one\))/,
  'funcX: Show Endpoints',
  'Endpoint map',
  'funcX: Clear Finished Tasks',
  'funcX: Open a Flow Run…',
  'funcX: Reconnect to the Hub',
  'funcX: Hub Settings',
];

test('a funcX menu in the menu bar holds every command, each with the ƒx icon; Hub Settings opens the settings', async ({
  notebook,
  page,
}) => {
  await notebook.create('funcx-menu', ['%%funcx local\nprint("menu")']);
  await page.locator('.lm-MenuBar-item', { hasText: /^funcX$/ }).click();
  const menu = page.locator('.lm-Menu').last();
  for (const label of MENU_ITEMS) {
    const item = menu.locator('.lm-Menu-item', { hasText: label }).first();
    await expect(item, String(label)).toBeVisible();
    if (label !== 'Endpoint map') await expect(item.locator('.lm-Menu-itemIcon svg'), String(label)).toHaveCount(1);
  }
  await menu.locator('.lm-Menu-item', { hasText: 'funcX: Hub Settings' }).click();
  await expect(page.locator('.jp-SettingsEditor, .jp-SettingsPanel').first()).toBeVisible();
  await expect(page.locator('.lm-TabBar-tab.lm-mod-current', { hasText: 'Settings' })).toBeVisible();
});

test('the palette has the commands the docs name', async ({ notebook, page }) => {
  await notebook.create('funcx-palette', ['print("palette")']);
  await notebook.waitForKernelIdle();
  await page.keyboard.press('Control+Shift+C');
  const palette = page.locator('.jp-ModalCommandPalette');
  await expect(palette).toBeVisible();
  for (const label of ['funcX: Reconnect to the Hub', 'funcX: Hub Settings', 'funcX: Show Endpoints']) {
    await palette.locator('input').fill(label);
    await expect(palette.locator('.lm-CommandPalette-item', { hasText: label }).first()).toBeVisible();
  }
  await page.keyboard.press('Escape');
});

test('every funcX item of the cell context menu has the ƒx icon, and after one the keyboard is back in the notebook', async ({
  notebook,
  page,
}) => {
  await notebook.create('funcx-context-icons', ['print("icons")']);
  await notebook.cell(0).locator('.jp-InputArea-editor').click({ button: 'right' });
  for (const label of ['Register cell as function…', 'Run cell on endpoint…', /^Run cell on /]) {
    const item = notebook.menuItem(label);
    await expect(item, String(label)).toBeVisible();
    await expect(item.locator('.lm-Menu-itemIcon svg'), String(label)).toHaveCount(1);
  }
  await notebook.menuItem('Run cell on endpoint…').click();
  const picker = page.locator('.jp-Dialog');
  await picker.locator('.funcx-EndpointItem[data-endpoint-name="local"]').click();
  await picker.locator('.jp-Dialog-button.jp-mod-accept').click();
  await expect(notebook.outputArea(0)).toContainText('icons', { timeout: 30_000 });

  // A notebook shortcut works with no click first: B inserts a cell below.
  await expect.poll(() => page.evaluate(() => !!document.activeElement?.closest('.jp-Notebook'))).toBe(true);
  await page.keyboard.press('b');
  await expect(notebook.cells).toHaveCount(2);
});
