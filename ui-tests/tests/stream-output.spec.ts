import { expect, test } from '../helpers/fixtures.js';

const LOOP = `%%funcx local
import time
for i in range(1, 5):
    print(f"line {i} of 4")
    time.sleep(1.5)
"all lines printed"`;

test('a %%funcx cell shows its first printed line before its last, then its result', async ({ notebook }) => {
  await notebook.create('stream-output', [LOOP]);
  await notebook.run(0);

  await expect(notebook.outputArea(0)).toContainText('line 1 of 4');
  expect(await notebook.outputText(0)).not.toContain('line 4 of 4');

  await expect(notebook.result(0)).toContainText('all lines printed');
  const text = await notebook.outputText(0);
  const positions = [1, 2, 3, 4].map((i) => text.indexOf(`line ${i} of 4`));
  expect(positions.every((position) => position >= 0)).toBe(true);
  expect(positions).toEqual([...positions].sort((a, b) => a - b));
  await expect(notebook.prompt(0)).toHaveText(/\[\d+\]/);
});
