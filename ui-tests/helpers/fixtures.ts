import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test as base } from '@playwright/test';
import { NotebookPage } from './notebook-page.js';
import { SidebarPage } from './sidebar-page.js';

/** Page objects for every spec, and a full-page screenshot of the end state, kept whether it passed or not. */
export const test = base.extend<{ notebook: NotebookPage; sidebar: SidebarPage; keepScreenshot: void }>({
  notebook: async ({ page }, use) => use(new NotebookPage(page)),
  sidebar: async ({ page }, use) => use(new SidebarPage(page)),
  keepScreenshot: [
    async ({ page }, use, testInfo) => {
      await use();
      const screenshots = join(testInfo.project.outputDir, 'screenshots');
      mkdirSync(screenshots, { recursive: true });
      const name = `${testInfo.titlePath.join(' - ').replace(/[^\w.-]+/g, '-')}.png`;
      await page.screenshot({ path: join(screenshots, name), fullPage: true }).catch(() => {});
      // Each spec opens its own notebook; without this their kernels would pile up on the shared server.
      await page
        .evaluate(() => (window as any).jupyterapp?.serviceManager.sessions.shutdownAll())
        .catch(() => {});
    },
    { auto: true },
  ],
});

export { expect } from '@playwright/test';
