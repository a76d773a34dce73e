import { expect, test } from '../helpers/fixtures.js';

test('a %%funcx cell naming an unknown endpoint gets an error that lists the endpoints that exist', async ({
  notebook,
}) => {
  await notebook.create('unknown-endpoint', ['%%funcx nowhere-at-all\nprint("never printed")']);
  await notebook.run(0);

  await expect(notebook.outputArea(0)).toContainText('nowhere-at-all');
  const text = await notebook.outputText(0);
  expect(text).toContain('local');
  expect(text).toContain('cloud');
  expect(text).not.toContain('never printed');
});
