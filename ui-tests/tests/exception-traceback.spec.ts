import { expect, test } from '../helpers/fixtures.js';

const FAILING = `%%funcx local
def explode(n):
    raise ValueError(f"cannot use {n}")

explode(7)`;

test("an exception raised on an endpoint renders with its traceback", async ({ notebook }) => {
  await notebook.create('exception-traceback', [FAILING]);
  await notebook.run(0);

  const error = notebook.cell(0).locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
  await expect(error.first()).toContainText('ValueError');
  const text = await notebook.outputText(0);
  expect(text).toContain('cannot use 7');
  expect(text).toContain('explode');
  expect(text).toMatch(/line \d+/);
  expect(text).not.toContain('funcx_worker');
});
