import { expect, test } from '../helpers/fixtures.js';

// The raise is on line 4 of the editor, counting the %%funcx line.
const FAILING = `%%funcx local
def check(n):
    if n > 2:
        raise ValueError(f"too big: {n}")

check(5)`;

test('line numbers in a traceback from an endpoint are the line numbers in the editor', async ({ notebook }) => {
  await notebook.create('traceback-lines', [FAILING]);
  await notebook.run(0);
  const text = notebook.outputArea(0);
  await expect(text).toContainText('too big: 5');
  await expect(text).toContainText('line 4');
  await expect(text).toContainText('line 6');
});
