import assert from 'node:assert/strict';
import { test } from 'node:test';
import { placeTask, type DispatchLimits, type DispatchWorker } from '../src/warm-dispatch.js';

interface Worker extends DispatchWorker {
  label: string;
}

let clock = 0;
/** A ready, idle worker of `image` unless told otherwise; each one made later was used later. */
function worker(label: string, image: string, fields: Partial<Omit<Worker, 'assigned'>> & { busy?: number } = {}): Worker {
  const { busy = 0, ...rest } = fields;
  return { label, image, ready: true, retiring: false, exited: false, assigned: Array(busy).fill('t'), limit: 1, lastUsed: ++clock, ...rest };
}

const soft: DispatchLimits = { slots: 3, maxContainers: 3, mode: 'soft', restartsPending: 0 };
const hard: DispatchLimits = { ...soft, mode: 'hard' };

function place(image: string, workers: Worker[], limits = soft, owner = 'alice') {
  const placement = placeTask(image, owner, workers, limits);
  return 'worker' in placement ? `${placement.action} ${placement.worker.label}` : placement.action;
}

test('a task goes to an idle worker warm for its image, the least busy first', () => {
  const workers = [worker('a1', 'A', { busy: 1, limit: 4 }), worker('b1', 'B'), worker('a2', 'A', { limit: 4 })];
  assert.equal(place('A', workers), 'run a2');
});

test("a worker warm for the image but owned by another user is not used: one user per worker", () => {
  const workers = [worker('a-bob', 'A', { owner: 'bob' }), worker('a-free', 'A')];
  assert.equal(place('A', workers), 'run a-free');
  assert.equal(place('A', [worker('a-bob', 'A', { owner: 'bob' })], { ...soft, slots: 1 }), 'repurpose a-bob');
});

test('with no warm worker a new container is started while a slot is free and the container limit allows', () => {
  assert.equal(place('B', [worker('a1', 'A')]), 'start');
  assert.equal(place('B', [worker('a1', 'A', { busy: 1 }), worker('a2', 'A', { busy: 1 })], { ...soft, maxContainers: 2 }), 'wait');
});

test('a container still starting with no task yet takes the task, so its start is the task\'s launch', () => {
  assert.equal(place('B', [worker('b1', 'B', { ready: false })]), 'run b1');
  assert.equal(place('B', [worker('b1', 'B', { ready: false, busy: 1 })]), 'start', 'one that holds a task: another starts');
});

test('a bare worker still starting is waited for, never handed a task', () => {
  assert.equal(place('', [worker('p1', '', { ready: false })], { ...soft, slots: 2 }), 'wait');
  assert.equal(place('', [], { ...soft, restartsPending: 1 }), 'wait', 'a bare restart after a failed start is awaited');
});

test('soft mode at the limit repurposes the least recently used idle worker of another image', () => {
  const workers = [worker('a-old', 'A'), worker('c-busy', 'C', { busy: 1 }), worker('a-new', 'A')];
  assert.equal(place('B', workers), 'repurpose a-old');
});

test('soft mode: when the container limit binds (slots free), only a container is repurposed', () => {
  const workers = [worker('bare', ''), worker('a1', 'A')];
  assert.equal(place('B', workers, { ...soft, slots: 3, maxContainers: 1 }), 'repurpose a1');
  assert.equal(place('', [worker('a1', 'A')], { ...soft, slots: 1 }), 'repurpose a1', 'a bare task may free a container\'s slot');
});

test('hard mode waits for a worker of the task\'s image rather than repurposing another image\'s', () => {
  const workers = [worker('a1', 'A'), worker('a2', 'A'), worker('a3', 'A')];
  assert.equal(place('B', workers, hard), 'wait');
  assert.equal(place('B', workers.slice(0, 2), hard), 'start', 'under the limit a new one is started');
  assert.equal(place('A', [worker('a-bob', 'A', { owner: 'bob' }), ...workers.slice(1).map((w) => ({ ...w, busy: 1, assigned: ['t'] }))], hard), 'repurpose a-bob');
});

test('hard mode lets an idle bare worker give its slot up: it is cheap to start again, a container is not', () => {
  assert.equal(place('B', [worker('bare', ''), worker('a1', 'A'), worker('a2', 'A')], hard), 'repurpose bare');
  assert.equal(place('B', [worker('bare', ''), worker('a1', 'A')], { ...hard, maxContainers: 1 }), 'wait', 'not while the container limit binds');
});

test('a slot already being freed for the image is waited for, not a second one freed; one freed for another image is not', () => {
  const workers = [worker('a1', 'A', { retiring: true, replacement: 'B' }), worker('a2', 'A'), worker('a3', 'A')];
  assert.equal(place('B', workers), 'wait');
  assert.equal(place('C', workers), 'repurpose a2');
});

test('exited workers hold no slot', () => {
  assert.equal(place('B', [worker('a1', 'A', { exited: true }), worker('a2', 'A'), worker('a3', 'A')]), 'start');
});
