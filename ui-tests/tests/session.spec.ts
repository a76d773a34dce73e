import { stack } from '../helpers/stack-env.js';
import { expect, test } from '../helpers/fixtures.js';

const SESSION = 'ui-session';

test.afterAll(async () => {
  // The session's worker is the endpoint's until it is ended: give it back to the specs that follow.
  const { hubUrl, token } = stack();
  await fetch(`${hubUrl}/v1/sessions/${SESSION}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
});

test('%%funcx --session cells share their names, on one worker kept for the session, without the fresh-namespace note', async ({ notebook }) => {
  await notebook.create('session', [`%%funcx local --session ${SESSION}\nx = 41\nx`, `%%funcx local --session ${SESSION}\nx + 1`]);
  await notebook.run(0);
  await expect(notebook.result(0)).toContainText('41', { timeout: 30_000 });
  await notebook.run(1);
  await expect(notebook.result(1)).toContainText('42', { timeout: 30_000 });
  await expect(notebook.outputArea(1)).not.toContainText('fresh namespace');
  await expect(notebook.outputArea(1)).not.toContainText('NameError');
});
