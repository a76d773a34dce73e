import { lowContrastTexts, useTheme } from '../helpers/contrast.js';
import { expect, test } from '../helpers/fixtures.js';

const ROOTS = ['#funcx-endpoints', '.funcx-CellFooter', '.funcx-CellBadge', '.funcx-StatusItem', '.funcx-Map', '.jp-Dialog .funcx-EndpointPicker'];

for (const theme of ['JupyterLab Dark', 'JupyterLab Light'] as const) {
  test(`small text of the extension has at least 4.5:1 contrast in ${theme}, computed from the rendered styles`, async ({
    notebook,
    sidebar,
    page,
  }) => {
    await notebook.create(`contrast-${theme.split(' ')[1].toLowerCase()}`, ['%%funcx local\nprint("contrast")', 'def f():\n    return 1'], {
      funcx: { endpoint: 'local' },
    });
    await useTheme(page, theme);
    await notebook.run(0);
    await expect(notebook.footer(0)).toContainText('local');
    await notebook.contextMenu(1, 'Register cell as function…');
    await page.locator('.jp-Dialog .jp-Dialog-button.jp-mod-accept').click();
    await notebook.setText(1, 'def f():\n    return 2');
    await expect(notebook.cell(1).locator('.funcx-CellBadge')).toHaveAttribute('data-stale', 'true');
    await sidebar.open();
    await expect(sidebar.endpoint('local')).toHaveAttribute('aria-selected', 'true');
    await sidebar.tasks.first().locator('.funcx-TaskItem-summary').click();
    await sidebar.endpoint('cloud').hover();

    const low = await lowContrastTexts(page, ROOTS);
    expect(low, JSON.stringify(low, null, 1)).toEqual([]);

    await page.evaluate(() => (window as any).jupyterapp.commands.execute('funcx:open-map'));
    await expect(page.locator('.funcx-MapMarker').first()).toBeVisible();
    await notebook.page.keyboard.press('Escape');
    const onMap = await lowContrastTexts(page, ['.funcx-Map']);
    expect(onMap, JSON.stringify(onMap, null, 1)).toEqual([]);
  });
}

// The theme is a user setting of the shared JupyterLab: put it back for the specs after this one.
test.afterEach(async ({ page }) => useTheme(page, 'JupyterLab Light').catch(() => undefined));
