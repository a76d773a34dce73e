import { expect, test } from '../helpers/fixtures.js';

const REMOTE = `%%funcx local -o stats
import statistics
values = [1, 2, 3, 4]
{"mean": statistics.mean(values), "seen": set(values)}`;

test('%%funcx local -o stats keeps the cell value in the kernel as stats, unpickled when the kernel can', async ({
  notebook,
}) => {
  await notebook.create('store-output', [REMOTE, 'print(type(stats["seen"]).__name__, sorted(stats["seen"]), stats["mean"])']);
  await notebook.waitForKernelIdle();
  await notebook.run(0);
  await expect(notebook.result(0)).toContainText("'mean': 2.5");

  await notebook.run(1);
  await expect(notebook.outputArea(1)).toContainText('set [1, 2, 3, 4] 2.5');
});

test('-o with a name Python cannot use is an error in the cell', async ({ notebook }) => {
  await notebook.create('store-output-bad-name', ['%%funcx local -o 2x\n1']);
  await notebook.run(0);
  await expect(notebook.outputArea(0)).toContainText('-o needs a Python name');
});
