import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalInterest } from '../src/events/local-interest.js';

function watched(interest: LocalInterest) {
  const said: string[] = [];
  interest.watch({
    gained: async (user) => {
      said.push(`+${user}`);
    },
    lost: (user) => said.push(`-${user}`),
  });
  return said;
}

test('a user is asked for once, however many clients they have, and let go a linger after the last leaves', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const interest = new LocalInterest(1_000);
  const said = watched(interest);
  interest.acquire('alice');
  interest.acquire('alice');
  assert.deepEqual(said, ['+alice']);
  interest.release('alice');
  t.mock.timers.tick(5_000);
  assert.deepEqual(said, ['+alice'], 'one client is still there');
  interest.release('alice');
  t.mock.timers.tick(999);
  assert.deepEqual(said, ['+alice'], 'not before the linger ends');
  t.mock.timers.tick(1);
  assert.deepEqual(said, ['+alice', '-alice']);
  assert.deepEqual(interest.users(), []);
  interest.release('alice');
  assert.deepEqual(said, ['+alice', '-alice'], 'a release too many changes nothing');
});

test('a client that comes back within the linger keeps the user asked for, without asking again', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const interest = new LocalInterest(1_000);
  const said = watched(interest);
  interest.acquire('alice');
  interest.release('alice');
  t.mock.timers.tick(500);
  interest.acquire('alice');
  t.mock.timers.tick(5_000);
  assert.deepEqual(said, ['+alice']);
});

test('ready asks and holds the user for a linger even if no client follows', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const interest = new LocalInterest(1_000);
  let arrived!: () => void;
  const said: string[] = [];
  interest.watch({ gained: (user) => (said.push(`+${user}`), new Promise<void>((resolve) => (arrived = resolve))), lost: (user) => said.push(`-${user}`) });
  let ready = false;
  const waiting = interest.ready('bob').then(() => (ready = true));
  await Promise.resolve();
  assert.equal(ready, false, 'ready waits for the events to arrive');
  arrived();
  await waiting;
  assert.deepEqual(said, ['+bob']);
  t.mock.timers.tick(1_000);
  assert.deepEqual(said, ['+bob', '-bob'], 'no client came: let go after the linger');
});

test('a watcher set later is told of every user already wanted, and none after it is unset', () => {
  const interest = new LocalInterest(1_000);
  interest.acquire('alice');
  interest.acquire('bob');
  const said = watched(interest);
  assert.deepEqual(said.sort(), ['+alice', '+bob']);
  interest.watch(undefined);
  interest.acquire('carol');
  assert.deepEqual(said.sort(), ['+alice', '+bob']);
  interest.close();
});
