import { expect, type Locator, type Page } from '@playwright/test';

/** The "Endpoints" sidebar: endpoint rows with live status, and the latest tasks. */
export class SidebarPage {
  constructor(readonly page: Page) {}

  get panel(): Locator {
    return this.page.locator('#funcx-endpoints');
  }

  /** Opens the sidebar from its tab in the left side bar. */
  async open(): Promise<void> {
    if (await this.panel.isVisible()) return;
    await this.page.locator('.jp-SideBar .lm-TabBar-tab[data-id="funcx-endpoints"]').click();
    await expect(this.panel).toBeVisible();
  }

  endpoint(name: string): Locator {
    return this.panel.locator(`.funcx-EndpointItem[data-endpoint-name="${name}"]`);
  }

  get tasks(): Locator {
    return this.panel.locator('.funcx-TaskItem');
  }
}
