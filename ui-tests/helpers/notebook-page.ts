import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';
import { stack } from './stack-env.js';

/** Cell metadata `funcx.run`: where and how a remote cell last ran. */
export interface RunRecord {
  task_id: string;
  state: string;
  endpoint?: string;
  endpoint_id?: string;
  image?: string;
  attempt: number;
  started?: number;
  ended?: number;
  routing?: { policy: string };
}

/** A notebook open in JupyterLab: write it, open it, edit and run its cells, read their outputs. */
export class NotebookPage {
  constructor(readonly page: Page) {}

  get panel(): Locator {
    return this.page.locator('.jp-NotebookPanel:visible');
  }

  get cells(): Locator {
    return this.panel.locator('.jp-Notebook .jp-Cell');
  }

  cell(index: number): Locator {
    return this.cells.nth(index);
  }

  /** Writes `NAME.ipynb` with these cells (code, or `{ markdown }`) into JupyterLab's root dir, then opens it. */
  async create(name: string, sources: (string | { markdown: string })[], metadata: Record<string, unknown> = {}): Promise<void> {
    const file = `${name}.ipynb`;
    const notebook = {
      cells: sources.map((source, index) =>
        typeof source === 'string'
          ? { cell_type: 'code', id: `cell-${index}`, metadata: {}, execution_count: null, outputs: [], source }
          : { cell_type: 'markdown', id: `cell-${index}`, metadata: {}, source: source.markdown },
      ),
      metadata: {
        kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' },
        language_info: { name: 'python' },
        ...metadata,
      },
      nbformat: 4,
      nbformat_minor: 5,
    };
    writeFileSync(join(stack().notebookDir, file), JSON.stringify(notebook, null, 1));
    await this.page.goto(`${stack().labUrl}/lab/tree/${encodeURIComponent(file)}?reset`);
    await expect(this.panel).toBeVisible({ timeout: 60_000 });
    await expect(this.cells).toHaveCount(sources.length);
  }

  /** Waits until the notebook's kernel session is ready and idle. */
  async waitForKernelIdle(): Promise<void> {
    await expect
      .poll(
        () =>
          this.page.evaluate(async () => {
            const context = (window as any).jupyterapp.shell.currentWidget?.sessionContext;
            if (!context) return 'no notebook';
            await context.ready;
            return context.session?.kernel?.status ?? 'no kernel';
          }),
        { timeout: 60_000 },
      )
      .toBe('idle');
    await expect(this.panel.locator('.jp-Notebook-ExecutionIndicator')).toHaveAttribute('data-status', 'idle');
  }

  /** Selects a cell in command mode (clicking its prompt, not its editor). */
  async select(index: number): Promise<void> {
    await this.cell(index).locator('.jp-InputPrompt').click();
    await expect(this.cell(index)).toHaveClass(/jp-mod-active/);
  }

  async setText(index: number, source: string): Promise<void> {
    await this.page.evaluate(
      ([cellIndex, text]) => {
        const app = (window as any).jupyterapp;
        app.shell.currentWidget.content.widgets[cellIndex].model.sharedModel.setSource(text);
      },
      [index, source] as const,
    );
  }

  /** Runs one cell in place (Ctrl+Enter), as a user would. */
  async run(index: number): Promise<void> {
    await this.select(index);
    await this.page.keyboard.press('Control+Enter');
  }

  outputArea(index: number): Locator {
    return this.cell(index).locator('.jp-OutputArea');
  }

  outputs(index: number): Locator {
    return this.cell(index).locator('.jp-OutputArea-output');
  }

  /** The execute_result output (a cell's returned value). */
  result(index: number): Locator {
    return this.cell(index).locator('.jp-OutputArea-executeResult');
  }

  async outputText(index: number): Promise<string> {
    const texts = await this.outputs(index).allInnerTexts();
    return texts.join('\n');
  }

  prompt(index: number): Locator {
    return this.cell(index).locator('.jp-InputPrompt');
  }

  async metadata(index: number, key: string): Promise<unknown> {
    return this.page.evaluate(
      ([cellIndex, name]) => {
        const app = (window as any).jupyterapp;
        return app.shell.currentWidget.content.widgets[cellIndex].model.getMetadata(name);
      },
      [index, key] as const,
    );
  }

  /** Opens the cell's context menu and clicks the item with this label. */
  async contextMenu(index: number, label: string | RegExp): Promise<void> {
    await this.select(index);
    await this.rightClickMenu(index, label);
  }

  /** Right-clicks the cell's code, as it is (no cell selected first), and clicks the menu item with this label. */
  async rightClickMenu(index: number, label: string | RegExp): Promise<void> {
    await this.cell(index).locator('.jp-InputArea-editor').click({ button: 'right' });
    const item = this.menuItem(label);
    await expect(item).toBeVisible();
    await item.click();
  }

  /** An item of the open context menu. */
  menuItem(label: string | RegExp): Locator {
    return this.page.locator('.lm-Menu .lm-Menu-item', { hasText: label }).first();
  }

  /** Run › Run All Cells, from the main menu, as a user would. */
  async runAll(): Promise<void> {
    await this.page.locator('.lm-MenuBar-item', { hasText: /^Run$/ }).click();
    await this.page.locator('.lm-Menu .lm-Menu-item', { hasText: 'Run All Cells' }).first().click();
  }

  /** Where and how the cell last ran (its metadata `funcx.run`). */
  async runRecord(index: number): Promise<RunRecord | undefined> {
    return ((await this.metadata(index, 'funcx')) as { run?: RunRecord } | undefined)?.run;
  }

  /** The line under a remote cell's outputs. */
  footer(index: number): Locator {
    return this.cell(index).locator('.funcx-CellFooter');
  }

  /** The execution count in the cell's prompt, or null. */
  async executionCount(index: number): Promise<number | null> {
    return this.page.evaluate((cellIndex) => {
      const app = (window as any).jupyterapp;
      return app.shell.currentWidget.content.widgets[cellIndex].model.executionCount ?? null;
    }, index);
  }
}
