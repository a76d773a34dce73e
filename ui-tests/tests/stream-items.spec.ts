import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, makeTempDir, projectPython, startEndpoint } from '@funcx/testing';
import { expect, test } from '../helpers/fixtures.js';
import { ownHub } from '../helpers/own-hub.js';
import { sharedHub } from '../helpers/shared-hub.js';

test.afterAll(cleanup);

/** A cell whose generator yields `before`, waits for the file `flag` to exist, then yields `after`. */
function waitingGenerator(endpoint: string, flag: string, before: string[], after: string[]): string {
  return [
    `%%funcx ${endpoint}`,
    'import os, time',
    'def readings():',
    ...before.map((item) => `    yield ${item}`),
    `    while not os.path.exists(${JSON.stringify(flag)}):`,
    '        time.sleep(0.05)',
    ...after.map((item) => `    yield ${item}`),
    'readings()',
  ].join('\n');
}

const streamOutput = '.jp-OutputArea-output[data-mime-type="text/plain"]';

test('a cell whose value is a generator shows each item as it arrives, then how many it streamed', async ({ notebook }) => {
  const flag = join(makeTempDir('funcx-ui-stream-'), 'go');
  await notebook.create('stream-items', [waitingGenerator('local', flag, ['{"reading": 1}'], ['{"reading": 2}', '[3, None, "three"]'])]);
  await notebook.run(0);

  await expect(notebook.outputArea(0)).toContainText("{'reading': 1}", { timeout: 30_000 });
  await expect(notebook.result(0)).toHaveCount(0);
  expect(await notebook.outputText(0)).not.toContain("{'reading': 2}");
  expect(await notebook.outputText(0)).not.toContain('streamed');

  writeFileSync(flag, '');
  await expect(notebook.result(0)).toContainText('3 items streamed', { timeout: 30_000 });
  await expect(notebook.outputArea(0).locator(streamOutput).first()).toHaveText("{'reading': 1}\n{'reading': 2}\n[3, None, 'three']");
  await expect(notebook.prompt(0)).toHaveText(/\[\d+\]/);
});

test('a generator that fails half way shows the items it yielded, then its traceback', async ({ notebook }) => {
  await notebook.create('stream-items-failing', [
    '%%funcx local\ndef steps():\n    yield "one"\n    yield "two"\n    raise ValueError("half way")\n\nsteps()',
  ]);
  await notebook.run(0);
  await expect(notebook.outputArea(0)).toContainText('ValueError: half way', { timeout: 30_000 });
  const text = await notebook.outputText(0);
  expect(text.indexOf("'one'\n'two'")).toBeGreaterThanOrEqual(0);
  expect(text.indexOf("'two'")).toBeLessThan(text.indexOf('half way'));
});

test('while the hub is away a stream waits, and after it goes on from where it was: no item twice, none lost', async ({ notebook, page }) => {
  const own = await ownHub();
  await startEndpoint(own.hub, { name: 'steady', workers: 1, python: projectPython() });
  await own.useIn(page);
  const flag = join(makeTempDir('funcx-ui-stream-outage-'), 'go');
  try {
    await notebook.create('stream-items-outage', [waitingGenerator('steady', flag, ['"a"', '"b"'], ['"c"'])]);
    await notebook.run(0);
    await expect(notebook.outputArea(0)).toContainText("'b'", { timeout: 30_000 });

    await own.hub.stop();
    await expect(notebook.footer(0)).toContainText(/Waiting for the hub/, { timeout: 15_000 });
    writeFileSync(flag, '');
    await own.hub.start();

    await expect(notebook.result(0)).toContainText('3 items streamed', { timeout: 60_000 });
    await expect(notebook.outputArea(0).locator(streamOutput).first()).toHaveText("'a'\n'b'\n'c'");
  } finally {
    await own.restore(page);
  }
});

test('a generator task handed out again after its endpoint was lost shows the new attempt’s items only', async ({ notebook }) => {
  const flaky = await startEndpoint(sharedHub(), { name: 'flaky-stream', workers: 1, python: projectPython() });
  const marker = join(makeTempDir('funcx-ui-stream-replay-'), 'ran-once');
  const ranOnce = JSON.stringify(marker);
  // The first attempt yields, then hangs until its endpoint is killed; the second yields and ends.
  const cell = `%%funcx flaky-stream
import os, time
def attempt():
    first = not os.path.exists(${ranOnce})
    open(${ranOnce}, "a").close()
    yield "item of the first attempt" if first else "item of the second attempt"
    if first:
        time.sleep(120)
attempt()`;
  await notebook.create('stream-items-replayed', [cell]);
  await notebook.run(0);
  await expect(notebook.outputArea(0)).toContainText('item of the first attempt', { timeout: 30_000 });

  await flaky.kill9();
  await flaky.start();

  await expect(notebook.result(0)).toContainText('1 item streamed', { timeout: 60_000 });
  await expect(notebook.outputArea(0)).toContainText(/Attempt 2 of 3 after the endpoint was lost/);
  await expect(notebook.outputArea(0)).toContainText('item of the second attempt');
  await expect(notebook.outputArea(0)).not.toContainText('item of the first attempt');
});
