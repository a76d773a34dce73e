import type { Page } from '@playwright/test';
import { makeTempDir, startHub, type HubProcess } from '@funcx/testing';
import { stack } from './stack-env.js';

const PLUGIN = '@funcx/jupyterlab:plugin';

/**
 * A hub of the spec's own, for specs that stop and start it: the shared one must stay up for the others.
 * `useIn(page)` points the extension at it (user settings, read when the page loads); `restore(page)` points it
 * back at the shared hub, whatever the spec's outcome.
 */
export async function ownHub(): Promise<{
  hub: HubProcess;
  useIn(page: Page): Promise<void>;
  restore(page: Page): Promise<void>;
}> {
  const hub = await startHub({ funcxHome: makeTempDir('funcx-ui-own-hub-') });
  const save = async (page: Page, raw: string) => {
    if (!page.url().startsWith(stack().labUrl)) await page.goto(`${stack().labUrl}/lab?reset`);
    await page.waitForFunction(() => (window as any).jupyterapp?.serviceManager?.settings);
    await page.evaluate(
      ([id, text]) => (window as any).jupyterapp.serviceManager.settings.save(id, text),
      [PLUGIN, raw] as const,
    );
  };
  return {
    hub,
    useIn: (page) => save(page, JSON.stringify({ hubUrl: hub.url, token: hub.token })),
    restore: (page) => save(page, '{}'),
  };
}
