import { expect, test } from '../helpers/fixtures.js';

// `local` has two workers: cells sent all at once would run side by side and the quick one would end first.
const SLOW_FIRST = '%%funcx local\nimport time\ntime.sleep(1.5)\nprint("first")';
const QUICK_SECOND = '%%funcx local\nprint("second")';
const FAILING_THIRD = '%%funcx local\nraise RuntimeError("the run stops here")';
const NEVER_FOURTH = '%%funcx local\nprint("never printed")';

test('Run All runs %%funcx cells in order, each after the one before, and stops at the first failing cell', async ({
  notebook,
}) => {
  await notebook.create('run-all-in-order', [SLOW_FIRST, QUICK_SECOND, FAILING_THIRD, NEVER_FOURTH]);
  await notebook.runAll();

  await expect(notebook.outputArea(2)).toContainText('the run stops here');
  await expect(notebook.outputArea(0)).toContainText('first');
  await expect(notebook.outputArea(1)).toContainText('second');
  await expect(notebook.prompt(3)).not.toContainText('*');

  const counts = [await notebook.executionCount(0), await notebook.executionCount(1), await notebook.executionCount(2)];
  expect(counts[0]).not.toBeNull();
  expect(counts[1]).toBe(counts[0]! + 1);
  expect(counts[2]).toBe(counts[1]! + 1);
  const first = await notebook.runRecord(0);
  const second = await notebook.runRecord(1);
  expect(second!.started).toBeGreaterThanOrEqual(first!.ended!);

  expect(await notebook.executionCount(3)).toBeNull();
  await expect(notebook.outputs(3)).toHaveCount(0);
  expect(await notebook.runRecord(3)).toBeUndefined();
});

test('%%funcx --async cells run side by side, by choice', async ({ notebook }) => {
  const sleeper = (name: string) => `%%funcx local --async\nimport time\ntime.sleep(1.5)\nprint("${name} done")`;
  await notebook.create('run-all-async', [sleeper('one'), sleeper('two')]);
  await notebook.runAll();

  await expect(notebook.outputArea(0)).toContainText('one done');
  await expect(notebook.outputArea(1)).toContainText('two done');
  await expect.poll(async () => (await notebook.runRecord(1))?.ended).toBeTruthy();
  const one = await notebook.runRecord(0);
  const two = await notebook.runRecord(1);
  expect(two!.started).toBeLessThan(one!.ended!);
});
