import { cleanup, projectPython, startEndpoint } from '@funcx/testing';
import { expect, test } from '../helpers/fixtures.js';
import { addUser, hubAs } from '../helpers/shared-hub.js';
import { stack } from '../helpers/stack-env.js';

test.afterAll(cleanup);

const HOSTILE_CELL = (endpoint: string) => `%%funcx ${endpoint}
class Page:
    def _repr_html_(self):
        return '<b class="remote-bold">bold</b><img class="remote-img" src="data:," onerror="window.__funcxPwned = (window.__funcxPwned || 0) + 1">'
display(Page())`;

test("HTML from another user's public endpoint renders sanitized; from your own endpoint it renders as a kernel's would", async ({
  notebook,
  page,
}) => {
  const { hubUrl, funcxHome } = stack();
  const bobToken = await addUser('bob');
  await startEndpoint(hubAs(hubUrl, bobToken, funcxHome), { name: 'bobs', workers: 1, public: true, python: projectPython() });

  await notebook.create('untrusted-output', [HOSTILE_CELL('bob/bobs'), HOSTILE_CELL('local')]);
  await notebook.run(0);
  await expect(notebook.outputs(0).locator('.remote-bold')).toHaveText('bold', { timeout: 30_000 });
  const sanitizedImg = notebook.outputs(0).locator('img');
  await expect(sanitizedImg).toHaveCount(1);
  expect(await sanitizedImg.getAttribute('onerror')).toBeNull();
  expect(await page.evaluate(() => (window as any).__funcxPwned)).toBeUndefined();

  await notebook.run(1);
  await expect(notebook.outputs(1).locator('.remote-bold')).toHaveText('bold', { timeout: 30_000 });
  await expect.poll(() => page.evaluate(() => (window as any).__funcxPwned)).toBe(1);
});
