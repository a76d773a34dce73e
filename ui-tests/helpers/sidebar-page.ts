import { expect, type Locator, type Page } from '@playwright/test';

/** The "Endpoints" sidebar: endpoint rows with live status, and the latest tasks. */
export class SidebarPage {
  constructor(readonly page: Page) {}

  get panel(): Locator {
    return this.page.locator('#funcx-endpoints');
  }

  /**
   * Opens the sidebar. Once JupyterLab has restored its layout (after a reload it may reopen the sidebar
   * itself), the shell activates the panel: unlike a click on its tab, this never closes it.
   */
  async open(): Promise<void> {
    await this.page.waitForFunction(() => (window as any).jupyterapp?.restored !== undefined);
    await this.page.evaluate(async () => {
      const app = (window as any).jupyterapp;
      await app.restored;
      app.shell.activateById('funcx-endpoints');
    });
    await expect(this.panel).toBeVisible();
  }

  endpoint(name: string): Locator {
    return this.panel.locator(`.funcx-EndpointItem[data-endpoint-name="${name}"]`);
  }

  get tasks(): Locator {
    return this.panel.locator('.funcx-TaskItem');
  }
}
