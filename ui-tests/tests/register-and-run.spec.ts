import { expect, test } from '../helpers/fixtures.js';

const FUNCTION_CELL = `def triple(x=14):
    print("tripling", x)
    return 3 * x`;

test('a cell registered as a function runs on the endpoint picked from its context menu', async ({ notebook, page }) => {
  await notebook.create('register-and-run', [FUNCTION_CELL]);

  await notebook.contextMenu(0, 'Register cell as function…');
  const nameDialog = page.locator('.jp-Dialog');
  await expect(nameDialog).toBeVisible();
  await nameDialog.locator('input').first().fill('triple');
  await nameDialog.locator('.jp-Dialog-button.jp-mod-accept').click();
  await expect(nameDialog).toBeHidden();
  await expect
    .poll(async () => ((await notebook.metadata(0, 'funcx')) as { function_id?: string } | undefined)?.function_id)
    .toMatch(/^[0-9a-f-]{36}$/);

  await notebook.contextMenu(0, 'Run cell on endpoint…');
  const picker = page.locator('.jp-Dialog');
  await expect(picker).toBeVisible();
  await picker.locator('.funcx-EndpointItem[data-endpoint-name="local"]').click();
  await picker.locator('.jp-Dialog-button.jp-mod-accept').click();
  await expect(picker).toBeHidden();

  await expect(notebook.outputArea(0)).toContainText('tripling 14');
  await expect(notebook.result(0)).toContainText('42');
});
