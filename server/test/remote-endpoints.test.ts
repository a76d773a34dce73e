import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FuncxError, MAX_HUB_MESSAGE_BYTES, decodeHubMessage, encodeHubMessage, type DataChunk } from '@funcx/protocol';
import { RemoteEndpointRelay, type BufferPublisher, type BufferSubscriber } from '../src/cluster/remote-endpoints.js';
import type { PresenceRecord } from '../src/store/store.js';
import type { EndpointChannel } from '../src/tasks/endpoint-channel.js';

/** Pub/sub in one process, as Redis delivers it: to every listener of the channel, later, counting receivers. */
class Bus implements BufferPublisher {
  readonly listeners = new Map<string, (message: Buffer) => void>();
  sent = 0;

  async publish(channel: string, message: Buffer): Promise<number> {
    this.sent++;
    const listener = this.listeners.get(channel);
    if (listener) setImmediate(() => listener(message));
    return listener ? 1 : 0;
  }

  subscriber(): BufferSubscriber {
    return {
      subscribe: async (channel, listener) => void this.listeners.set(channel, listener),
      unsubscribe: async (channel) => void this.listeners.delete(channel),
    };
  }
}

const LOAD = { workers_total: 1, workers_busy: 0, queued: 0, running: 0, warm_images: [] };
const ENDPOINT = { endpoint_id: 'e1', name: 'lab' };
const REF = { $ref: 'funcx-data://endpoint.e1/' + 'a'.repeat(64), endpoint_id: 'e1', size: 10, kind: 'bytes' as const, digest: 'sha256:' + 'a'.repeat(64) };

/** Two hubs, A (asking) and B; `channel` is the endpoint's channel on B if it is connected there; null: no presence. */
async function twoHubs(channel: Partial<EndpointChannel> | undefined, presenceHub: string | null = 'B', timeoutMs?: number) {
  const bus = new Bus();
  const presence = async (): Promise<PresenceRecord | undefined> => (presenceHub ? { load: LOAD, last_heartbeat: 0, hub: presenceHub } : undefined);
  const errors: unknown[] = [];
  /** The cancels B was asked for, and what it answers (the ids less those starting with "done"). */
  const cancels: { user: string; taskIds: string[] }[] = [];
  const released: string[] = [];
  const cancel = async (user: string, taskIds: string[]) => {
    cancels.push({ user, taskIds });
    return taskIds.filter((id) => !id.startsWith('done'));
  };
  const start = (hubId: string, local: () => EndpointChannel | undefined) =>
    RemoteEndpointRelay.start({
      hubId,
      channelOf: (id) => `hub:${id}`,
      publisher: bus,
      subscriber: bus.subscriber(),
      presence,
      local,
      cancel,
      onError: (e) => errors.push(e),
      timeoutMs,
      handoverTimeoutMs: timeoutMs,
      release: (endpointId: string) => void released.push(`${hubId}:${endpointId}`),
      handedOver: () => undefined,
    });
  const a = await start('A', () => undefined);
  const b = await start('B', () => channel as EndpointChannel | undefined);
  return { a, b, bus, errors, cancels, released };
}

const fullChannel = (overrides: Partial<EndpointChannel>): Partial<EndpointChannel> => ({
  readData: async () => ({ error: { statusCode: 404, code: 'FUNCX_DATA_NOT_FOUND', error: 'Not Found', message: 'no such value' } }),
  readStream: async (request) => ({ task_id: request.task_id, from: request.from, items: [], next: request.from, done: true }),
  sendInputs: async (request) => ({ accepted: request.items.length }),
  writeData: async () => ({ ref: REF }),
  ...overrides,
});

describe('requests for an endpoint connected to another hub', () => {
  it("carry a read to the endpoint's hub in parts of at most 1 MiB and its bytes back, for the user who asked", async () => {
    const asked: { user: string; length: number }[] = [];
    const { a } = await twoHubs(fullChannel({
      readData: async (request) => {
        asked.push({ user: request.user, length: request.length });
        return { ref: REF, offset: request.offset, total: 10, bytes: new Uint8Array([1, 2, 3]) } satisfies DataChunk;
      },
    }));
    const chunk = await a.channel(ENDPOINT).readData({ user: 'bob', url: REF.$ref, offset: 4, length: 8 * 1024 * 1024 });
    assert.ok(!('error' in chunk));
    assert.deepEqual([chunk.offset, chunk.total, [...chunk.bytes]], [4, 10, [1, 2, 3]]);
    assert.deepEqual(asked, [{ user: 'bob', length: MAX_HUB_MESSAGE_BYTES }]);
  });

  it("carry a write's bytes, a stream read, inputs, and the daemon's own error as it gave it", async () => {
    let written: Uint8Array | undefined;
    const { a } = await twoHubs(fullChannel({ writeData: async (request) => ((written = request.bytes), { ref: REF }) }));
    const channel = a.channel(ENDPOINT);
    assert.deepEqual(await channel.writeData({ user: 'u', kind: 'bytes', bytes: new Uint8Array([9, 8, 7]) }), { ref: REF });
    assert.deepEqual([...written!], [9, 8, 7]);
    assert.deepEqual(await channel.sendInputs({ user: 'u', task_id: 't', items: [1, 2], done: false }), { accepted: 2 });
    assert.equal(((await channel.readStream({ user: 'u', task_id: 't', from: 3, wait_ms: 0 })) as { next: number }).next, 3);
    const missing = await channel.readData({ user: 'u', url: REF.$ref, offset: 0, length: 10 });
    assert.ok('error' in missing && missing.error.code === 'FUNCX_DATA_NOT_FOUND');
  });

  it('say the endpoint is offline when its hub no longer has it, when its hub is gone, or with no presence', async () => {
    const offline = (error: unknown) => error instanceof FuncxError && error.code === 'FUNCX_DATA_UNAVAILABLE' && /endpoint lab is offline/.test(error.message);
    const moved = await twoHubs(undefined);
    await assert.rejects(moved.a.channel(ENDPOINT).readStream({ user: 'u', task_id: 't', from: 0, wait_ms: 0 }), offline);
    const gone = await twoHubs(fullChannel({}), 'C');
    await assert.rejects(gone.a.channel(ENDPOINT).sendInputs({ user: 'u', task_id: 't', items: [], done: true }), offline);
    const none = await twoHubs(fullChannel({}), null);
    await assert.rejects(none.a.channel(ENDPOINT).writeData({ user: 'u', kind: 'bytes', bytes: new Uint8Array(1) }), offline);
    assert.equal(none.bus.sent, 0, 'nothing is sent for an endpoint without presence');
  });

  it("pass on a daemon that did not answer as a failure, not as the client's error", async () => {
    const { a } = await twoHubs(fullChannel({ readStream: async () => Promise.reject(new Error('operation has timed out')) }));
    await assert.rejects(a.channel(ENDPOINT).readStream({ user: 'u', task_id: 't', from: 0, wait_ms: 0 }), (error: Error) => !(error instanceof FuncxError) && /timed out/.test(error.message));
  });

  it('give up on a hub that never answers once the timeout passes', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { a, bus } = await twoHubs(fullChannel({}), 'B', 5_000);
    bus.listeners.set('hub:B', () => undefined);
    const asked = a.channel(ENDPOINT).sendInputs({ user: 'u', task_id: 't', items: [], done: true });
    await new Promise((resolve) => setImmediate(resolve));
    t.mock.timers.tick(5_000);
    await assert.rejects(asked, /no answer from the hub of endpoint lab/);
  });

  it("carry a cancel to the endpoint's hub, which answers the ids it cancelled", async () => {
    const { a, cancels } = await twoHubs(fullChannel({}));
    assert.deepEqual(await a.cancel('e1', 'bob', ['t1', 'done-t2', 't3']), ['t1', 't3']);
    assert.deepEqual(cancels, [{ user: 'bob', taskIds: ['t1', 'done-t2', 't3'] }]);
  });

  it('have the hub an endpoint was connected to let go of it when it says hello to another', async () => {
    const { a, released } = await twoHubs(fullChannel({}));
    await a.release('e1');
    assert.deepEqual(released, ['B:e1']);
    const moved = await twoHubs(undefined);
    await moved.a.release('e1');
    assert.deepEqual(moved.released, [], 'a hub that no longer has it closes nothing');
  });

  it('leave a cancel to the asking hub when no other hub has the endpoint, or when its hub does not answer in time', async (t) => {
    const moved = await twoHubs(undefined);
    assert.equal(await moved.a.cancel('e1', 'bob', ['t1']), undefined, 'the hub its presence names no longer has it');
    assert.equal(moved.cancels.length, 0);
    const gone = await twoHubs(fullChannel({}), 'C');
    assert.equal(await gone.a.cancel('e1', 'bob', ['t1']), undefined, 'the hub its presence names is gone');
    const none = await twoHubs(fullChannel({}), null);
    assert.equal(await none.a.cancel('e1', 'bob', ['t1']), undefined, 'no presence');
    assert.equal(none.bus.sent, 0);
    const self = await twoHubs(fullChannel({}), 'A');
    assert.equal(await self.a.cancel('e1', 'bob', ['t1']), undefined, 'its presence names the asking hub');

    t.mock.timers.enable({ apis: ['setTimeout'] });
    const silent = await twoHubs(fullChannel({}), 'B', 5_000);
    silent.bus.listeners.set('hub:B', () => undefined);
    const asked = silent.a.cancel('e1', 'bob', ['t1']);
    await new Promise((resolve) => setImmediate(resolve));
    t.mock.timers.tick(5_000);
    assert.equal(await asked, undefined);
    assert.match(String(silent.errors[0]), /no answer from the hub of endpoint e1 in 5000 ms/);
  });

  it('ignore frames that are not hub messages', () => {
    assert.equal(decodeHubMessage(new Uint8Array([0, 0])), undefined);
    assert.equal(decodeHubMessage(new Uint8Array([0, 0, 0, 9, 1, 2])), undefined, 'a header longer than the frame');
    assert.equal(decodeHubMessage(Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('{x}')])), undefined, 'a header that is not JSON');
    assert.equal(decodeHubMessage(Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('{}')])), undefined, 'a message of no kind');
    const frame = encodeHubMessage({ t: 'reply', id: 'r1', not_here: true }, new Uint8Array([5]));
    const decoded = decodeHubMessage(frame);
    assert.deepEqual(decoded?.message, { t: 'reply', id: 'r1', not_here: true });
    assert.deepEqual([...decoded!.payload], [5]);
    const tasks = encodeHubMessage({ t: 'tasks', endpoint_id: 'e1', tasks: [] });
    assert.deepEqual(decodeHubMessage(tasks)?.message, { t: 'tasks', endpoint_id: 'e1', tasks: [] });
    const noTasks = Buffer.from(JSON.stringify({ t: 'tasks', endpoint_id: 'e1' }));
    assert.equal(decodeHubMessage(Buffer.concat([Buffer.from([0, 0, 0, noTasks.length]), noTasks])), undefined, 'handed tasks without their list');
  });
});
