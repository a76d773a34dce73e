import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '../helpers/fixtures.js';
import { stack } from '../helpers/stack-env.js';

const DEMO = fileURLToPath(new URL('../../examples/demo.ipynb', import.meta.url));

/** Index (among all cells) of the demo's code cell whose source contains `text`. */
function codeCell(text: string): number {
  const cells = JSON.parse(readFileSync(DEMO, 'utf8')).cells as { cell_type: string; source: string | string[] }[];
  const index = cells.findIndex(
    (cell) => cell.cell_type === 'code' && [cell.source].flat().join('').includes(text),
  );
  if (index < 0) throw new Error(`examples/demo.ipynb has no code cell containing ${JSON.stringify(text)}`);
  return index;
}

test('the demo notebook runs: streamed lines, a plot, a value, a traceback and a kernel cell', async ({
  notebook,
  page,
}) => {
  copyFileSync(DEMO, join(stack().notebookDir, 'demo.ipynb'));
  await page.goto(`${stack().labUrl}/lab/tree/demo.ipynb?reset`);
  await expect(notebook.panel).toBeVisible({ timeout: 60_000 });

  const stream = codeCell('step {step} of 5');
  const plot = codeCell('plt.show()');
  const value = codeCell('platform.python_version()');
  const failing = codeCell('mean([])');
  const kernel = codeCell("this cell ran in the notebook's kernel");

  for (const index of [stream, plot, value, failing]) await notebook.run(index);
  await expect(notebook.result(stream)).toContainText('finished');
  await expect(notebook.outputArea(stream)).toContainText('step 5 of 5');
  await expect(notebook.cell(plot).locator('.jp-OutputArea-output img')).toBeVisible();
  await expect(notebook.result(value)).toContainText('5050');
  await expect(notebook.outputArea(failing)).toContainText('ZeroDivisionError');

  await notebook.waitForKernelIdle();
  await notebook.run(kernel);
  await expect(notebook.outputArea(kernel)).toContainText("this cell ran in the notebook's kernel");
});
