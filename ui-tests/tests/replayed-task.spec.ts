import { join } from 'node:path';
import { cleanup, makeTempDir, projectPython, startEndpoint } from '@funcx/testing';
import { expect, test } from '../helpers/fixtures.js';
import { sharedHub } from '../helpers/shared-hub.js';

test.afterAll(cleanup);

test('a task run again after its endpoint was lost says which attempt it is, and the first attempt’s output is cleared', async ({
  notebook,
}) => {
  const flaky = await startEndpoint(sharedHub(), { name: 'flaky', workers: 1, python: projectPython() });
  const marker = join(makeTempDir('funcx-ui-replay-'), 'ran-once');
  await notebook.create('replayed-task', [
    [
      '%%funcx flaky',
      'import os, time',
      `first = not os.path.exists(${JSON.stringify(marker)})`,
      `open(${JSON.stringify(marker)}, "a").close()`,
      'print("output of the first attempt" if first else "output of the second attempt", flush=True)',
      'if first:',
      '    time.sleep(120)',
      '"done"',
    ].join('\n'),
  ]);
  await notebook.run(0);
  await expect(notebook.outputArea(0)).toContainText('output of the first attempt', { timeout: 30_000 });

  await flaky.kill9();
  await flaky.start();

  await expect(notebook.result(0)).toContainText('done', { timeout: 60_000 });
  await expect(notebook.outputArea(0)).toContainText(/Attempt 2 of 3 after the endpoint was lost: the output of attempt 1 was cleared/);
  await expect(notebook.outputArea(0)).toContainText('output of the second attempt');
  await expect(notebook.outputArea(0)).not.toContainText('output of the first attempt');
  await expect(notebook.footer(0)).toHaveAttribute('data-attempt', '2');
});
