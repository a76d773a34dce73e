import { expect, type Locator, type Page } from '@playwright/test';

/** A flow run's main-area view: its graph (one node per state, coloured by status) and the selected state's details. */
export class FlowRunPage {
  constructor(readonly page: Page) {}

  view(runId: string): Locator {
    return this.page.locator(`.funcx-FlowRun[data-run-id="${runId}"]`);
  }

  node(runId: string, state: string): Locator {
    return this.view(runId).locator(`.funcx-FlowNode[data-state="${state}"]`);
  }

  /** The run as the Endpoints sidebar lists it. */
  listed(runId: string): Locator {
    return this.page.locator(`#funcx-endpoints .funcx-FlowRunItem[data-run-id="${runId}"]`);
  }

  /** Whether the palette has the command that lists runs (the modal palette itself closes when a notebook takes focus). */
  async paletteHasRunList(): Promise<boolean> {
    return this.page.evaluate(() => {
      const app = (window as any).jupyterapp;
      return app.commands.hasCommand('funcx:list-flow-runs') && app.commands.label('funcx:list-flow-runs') === 'funcX: Open a Flow Run…';
    });
  }

  async expectStatus(runId: string, state: string, status: string, timeout = 30_000): Promise<void> {
    await expect(this.node(runId, state)).toHaveAttribute('data-status', status, { timeout });
  }
}
