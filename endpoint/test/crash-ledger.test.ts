import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { makeTempDir, removeTempDirs } from '@funcx/testing';
import { recoverFromCrash, type LedgerState } from '../src/crash-recovery.js';
import { FileLedger } from '../src/ledger.js';

after(removeTempDirs);

const state = (queued: string[], atWorkers: string[], suspects: [string, number][] = []): LedgerState => ({
  queued: new Set(queued),
  atWorkers: new Set(atWorkers),
  suspects: new Map(suspects),
});

test('tasks at workers when the daemon died become suspects; tasks only queued are retried uncharged', () => {
  const recovery = recoverFromCrash(state(['a', 'b', 'q'], ['a', 'b']));
  assert.deepEqual(recovery.culprits, []);
  assert.deepEqual([...recovery.suspects], [['a', 1], ['b', 1]]);
  assert.deepEqual(recovery.uncharged.sort(), ['a', 'b', 'q'], 'a and b ran beside each other: neither is charged');
});

test('a task that ran alone when the daemon died is charged for it', () => {
  const recovery = recoverFromCrash(state(['a', 'q'], ['a']));
  assert.deepEqual(recovery.uncharged, ['q']);
  assert.deepEqual([...recovery.suspects], [['a', 1]]);
});

test('a suspect at a worker when the daemon dies again is the culprit', () => {
  const recovery = recoverFromCrash(state(['a', 'b'], ['a'], [['a', 1], ['b', 1]]));
  assert.deepEqual(recovery.culprits, ['a']);
  assert.deepEqual([...recovery.suspects], [['b', 1]], 'b, queued meanwhile, stays a suspect');
  assert.deepEqual(recovery.uncharged, ['b']);
});

test('the ledger file tells the next daemon what the last one held, and a clean stop leaves only suspects', () => {
  const path = join(makeTempDir('funcx-ledger-'), 'ledger');
  const first = FileLedger.open(path, (error) => assert.fail(error));
  assert.equal(first.recovery, undefined, 'a fresh ledger is no crash');
  for (const id of ['a', 'b', 'c', 'd']) first.ledger.queued(id);
  first.ledger.atWorker('a');
  first.ledger.atWorker('b');
  first.ledger.ended('b');
  first.ledger.flush();
  // The daemon dies here: nothing more is written.
  const second = FileLedger.open(path, (error) => assert.fail(error));
  assert.deepEqual(second.recovery?.culprits, []);
  assert.deepEqual(second.recovery?.uncharged.sort(), ['c', 'd']);
  assert.equal(second.ledger.crashes('a'), 1);
  second.ledger.queued('a');
  second.ledger.atWorker('a');
  second.ledger.flush();
  const third = FileLedger.open(path, (error) => assert.fail(error));
  assert.deepEqual(third.recovery?.culprits, ['a']);
  third.ledger.queued('e');
  third.ledger.close();
  assert.equal(readFileSync(path, 'utf8'), '', 'nothing held, no suspects left');
  assert.equal(FileLedger.open(path, () => {}).recovery, undefined);
});

test('what is noted reaches the file one turn after the work scheduled beside it, which may write it sooner', async () => {
  const path = join(makeTempDir('funcx-ledger-'), 'ledger');
  const { ledger } = FileLedger.open(path, (error) => assert.fail(error));
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
  ledger.queued('x');
  await nextTurn();
  assert.equal(readFileSync(path, 'utf8'), '', 'not written alone in the next turn');
  await nextTurn();
  assert.equal(readFileSync(path, 'utf8'), 'q x\n');

  // A dispatch scheduled in the same turn as the note writes both notes at once, before its tasks leave.
  ledger.queued('y');
  const atDispatch = new Promise<string>((resolve) =>
    setImmediate(() => {
      ledger.atWorker('y');
      ledger.flush();
      resolve(readFileSync(path, 'utf8'));
    }),
  );
  assert.equal(await atDispatch, 'q x\nq y\nw y\n');
  ledger.close();
});

test('a ledger compacted while it holds many tasks tells the next daemon what it held, no more', () => {
  const path = join(makeTempDir('funcx-ledger-'), 'ledger');
  const { ledger } = FileLedger.open(path, (error) => assert.fail(error));
  const id = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  for (let i = 0; i < 1_000; i++) ledger.queued(id(i));
  for (let i = 0; i < 10; i++) ledger.atWorker(id(i));
  // Enough tasks come and go for the file to be rewritten at least once (it is past 8 MB).
  let notes = 1_010;
  for (let i = 1_000; i < 100_000; i++) {
    ledger.queued(id(i));
    ledger.atWorker(id(i));
    ledger.ended(id(i));
    notes += 3;
    if (i % 5_000 === 0) ledger.flush();
  }
  ledger.flush();
  const lines = readFileSync(path, 'utf8').split('\n').length - 1;
  assert.ok(lines < notes / 2, `the file was compacted (${lines} lines for ${notes} notes)`);
  const next = FileLedger.open(path, (error) => assert.fail(error));
  assert.deepEqual([...next.recovery!.suspects.keys()].sort(), Array.from({ length: 10 }, (_, i) => id(i)));
  assert.equal(next.recovery!.uncharged.length, 1_000, 'the ten at workers ran beside each other, the rest only waited');
  next.ledger.close();
});
