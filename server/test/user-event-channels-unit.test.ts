import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TaskEvent } from '@funcx/protocol';
import { UserEventChannels } from '../src/cluster/user-event-channels.js';
import type { ClientChannel } from '../src/events/client-channel.js';

// The bookkeeping of users' channels with the hubs and Redis played by the test: what is said on the shared
// channel, how many listeners each publish reaches. The same paths on a real redis-server with real hubs are in
// user-event-channels.test.ts.

const event: TaskEvent = { type: 'state', task_id: 't', state: 'running', timestamps: {} } as TaskEvent;
const nothing: ClientChannel = { toAll: () => undefined, toUsers: () => undefined, toAllBut: () => undefined };
const turn = () => new Promise((resolve) => setImmediate(resolve));

function setUp(listenersPerPublish: number, hubsHearing = 3) {
  const said: string[][] = [];
  const published: string[] = [];
  const channels = new UserEventChannels(
    'hub-a',
    { publish: async (channel) => (published.push(channel), listenersPerPublish) },
    { subscribe: async () => undefined, unsubscribe: async () => undefined },
    { say: async (kind, ...args) => (said.push([kind, ...args]), hubsHearing) },
    (user) => `events:${user}`,
    () => undefined,
    (error) => assert.fail(String(error)),
  );
  return { channels, said, published };
}

test('a hub that wants a user is ready only once every other hub that heard it has answered', async () => {
  const { channels, said } = setUp(1);
  let ready = false;
  const listening = channels.listen(nothing, 'alice').then(() => (ready = true));
  await turn();
  assert.deepEqual(said, [['want', 'hub-a', '1', 'alice']]);
  channels.heardWanted('hub-a', '1');
  channels.heardWanted('hub-b', '1');
  await turn();
  assert.equal(ready, false, 'one of the two other hubs has answered (an answer to another hub’s want does not count)');
  channels.heardWanted('hub-a', '1');
  await listening;
  assert.equal(ready, true);
});

test('a want nobody answers stops waiting after 2 s', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { channels } = setUp(1, 2);
  let ready = false;
  const listening = channels.listen(nothing, 'alice').then(() => (ready = true));
  await turn();
  t.mock.timers.tick(1_999);
  await turn();
  assert.equal(ready, false);
  t.mock.timers.tick(1);
  await listening;
});

test('events no other hub listens for stop being published, until a hub wants them', async () => {
  const { channels, said, published } = setUp(1);
  const listening = channels.listen(nothing, 'alice');
  await turn();
  channels.heardWanted('hub-a', '1');
  channels.heardWanted('hub-a', '1');
  await listening;
  assert.equal(channels.add('alice', [event]), true);
  channels.publish();
  await turn();
  assert.deepEqual(published, ['events:alice'], 'published once');
  assert.equal(channels.add('alice', [event]), false, 'only this hub heard it: nothing more for alice');
  assert.equal(channels.add('bob', [event]), true, 'another user is another channel');

  channels.heardWant('hub-b', '7', 'alice');
  assert.deepEqual(said.at(-1), ['wanted', 'hub-b', '7'], 'the want is answered');
  assert.equal(channels.add('alice', [event]), true, 'hub B wants alice: published again');
});

test('a publish sent before a want was heard does not stop what the want asked for', async () => {
  let answer!: (listeners: number) => void;
  const channels = new UserEventChannels(
    'hub-a',
    { publish: () => new Promise((resolve) => (answer = resolve)) },
    { subscribe: async () => undefined, unsubscribe: async () => undefined },
    { say: async () => 1 },
    (user) => `events:${user}`,
    () => undefined,
    (error) => assert.fail(String(error)),
  );
  channels.add('alice', [event]);
  channels.publish();
  channels.heardWant('hub-b', '1', 'alice');
  answer(0);
  await turn();
  assert.equal(channels.add('alice', [event]), true);
});
