import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { io as connectSocket } from 'socket.io-client';
import { ENDPOINT_NAMESPACE } from '@funcx/protocol';
import { addUser } from '../src/users.js';
import { connectClient, registerEndpoint, startTestHub, type EndpointClient, type TestHub, type UserClient } from './support/hub.js';

let hub: TestHub;
let bob: string;
let allowed: string;
let other: string;
const sockets: (UserClient | EndpointClient)[] = [];
const LOAD = { workers_total: 1, workers_busy: 0, queued: 0, running: 0, warm_images: [] };

before(async () => {
  hub = await startTestHub();
  bob = addUser(hub.dataDir, 'bob');
  allowed = (await hub.call('POST', '/v1/functions', { name: 'allowed', source: 'pass', public: true })).body.function_id;
  other = (await hub.call('POST', '/v1/functions', { name: 'other', source: 'pass', public: true })).body.function_id;
});
after(async () => {
  for (const socket of sockets) socket.disconnect();
  await hub.cleanup();
});

/** Connects as the endpoint and says hello with these fields; resolves with the ack. */
async function hello(endpointToken: string, extra: object): Promise<{ error?: { message: string } }> {
  const socket = connectSocket(hub.url + ENDPOINT_NAMESPACE, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: endpointToken } }) as EndpointClient;
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return (await socket.timeout(5000).emitWithAck('hello', { held_task_ids: [], load: LOAD, version: 'test', ...extra } as never)) as { error?: { message: string } };
}

const sharing = async (ref: string) => (await hub.call('GET', `/v1/endpoints/${ref}`)).body.allowed_functions as string[] | undefined;

describe('allowed functions of an endpoint', () => {
  it('without a list an endpoint runs any function; with one, another function is a 403 naming the endpoint, the function and who may allow it', async () => {
    await registerEndpoint(hub, 'strict');
    assert.equal((await hub.call('POST', '/v1/tasks', { function_id: other, endpoint: 'strict' })).statusCode, 202);
    const set = await hub.call('PUT', '/v1/endpoints/strict/sharing', { allowed_functions: [allowed.toUpperCase()] });
    assert.equal(set.statusCode, 200);
    assert.deepEqual(set.body.allowed_functions, [allowed], 'kept in lower case');
    assert.equal((await hub.call('POST', '/v1/tasks', { function_id: allowed, endpoint: 'strict' })).statusCode, 202);
    const refused = await hub.call('POST', '/v1/tasks', { function_id: other, endpoint: 'strict' });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.body.code, 'FUNCX_FUNCTION_NOT_PERMITTED');
    assert.match(refused.body.message, new RegExp(`Endpoint "strict" runs only the functions it allows, and not function ${other} \\("other"\\)`));
    assert.match(refused.body.message, /Its owner \(alice\) or one of its admins may allow it: allowed_functions in the endpoint's config/);
  });

  it('inline source is an ephemeral function, refused by an endpoint that lists its allowed functions', async () => {
    const refused = await hub.call('POST', '/v1/tasks', { source: 'print(1)', endpoint: 'strict' });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.body.code, 'FUNCX_FUNCTION_NOT_PERMITTED');
    assert.match(refused.body.message, /not inline source \(it runs as function [0-9a-f-]{36}, made for that source\): register the function/);
  });

  it('a batch with one refused task is refused whole, naming its index, on REST and on the client socket', async () => {
    const tasks = [
      { function_id: allowed, endpoint: 'strict' },
      { function_id: allowed, endpoint: 'strict' },
      { function_id: other, endpoint: 'strict' },
    ];
    const rest = await hub.call('POST', '/v1/tasks/batch', { tasks });
    assert.equal(rest.statusCode, 403);
    assert.match(rest.body.message, /^tasks\[2\]: Endpoint "strict" runs only the functions it allows/);
    const client = await connectClient(hub.url, hub.token);
    sockets.push(client);
    const ack = await client.timeout(5000).emitWithAck('tasks:submit', { tasks });
    assert.ok('error' in ack);
    assert.equal(ack.error.code, 'FUNCX_FUNCTION_NOT_PERMITTED');
    assert.match(ack.error.message, /^tasks\[2\]: /);
  });

  it('applies to users it is shared with, whose message names it as they write it', async () => {
    await hub.call('PUT', '/v1/endpoints/strict/sharing', { users: ['bob'] });
    const refused = await hub.call('POST', '/v1/tasks', { function_id: other, endpoint: 'alice/strict' }, bob);
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body.message, /^Endpoint "alice\/strict" runs only/);
    assert.equal((await hub.call('POST', '/v1/tasks', { function_id: allowed, endpoint: 'alice/strict' }, bob)).statusCode, 202);
  });

  it("a hello that names allowed functions replaces the hub's list; a hello without one keeps it; null allows any again", async () => {
    const { endpoint_token } = await registerEndpoint(hub, 'configured');
    await hub.call('PUT', '/v1/endpoints/configured/sharing', { allowed_functions: [other] });
    const ack = await hello(endpoint_token, { allowed_functions: [allowed] });
    assert.equal(ack.error, undefined);
    assert.deepEqual(await sharing('configured'), [allowed]);
    assert.equal((await hub.call('POST', '/v1/tasks', { function_id: other, endpoint: 'configured' })).statusCode, 403);
    await hello(endpoint_token, {});
    assert.deepEqual(await sharing('configured'), [allowed], 'a config without a list leaves the hub its own');
    assert.equal((await hub.call('PUT', '/v1/endpoints/configured/sharing', { allowed_functions: null })).statusCode, 200);
    assert.equal(await sharing('configured'), undefined);
    assert.equal((await hub.call('POST', '/v1/tasks', { function_id: other, endpoint: 'configured' })).statusCode, 202);
  });

  it('a hello whose list is not UUIDs, or longer than 10,000, is refused with the reason', async () => {
    const { endpoint_token } = await registerEndpoint(hub, 'misconfigured');
    const notIds = await hello(endpoint_token, { allowed_functions: ['add'] });
    assert.match(notIds.error?.message ?? '', /hello\/allowed_functions\/0 must be a UUID/);
    const tooMany = await hello(endpoint_token, { allowed_functions: Array.from({ length: 10_001 }, () => randomUUID()) });
    assert.match(tooMany.error?.message ?? '', /hello\/allowed_functions must NOT have more than 10000 items/);
    const many = Array.from({ length: 10_000 }, () => randomUUID());
    assert.equal((await hello(endpoint_token, { allowed_functions: [...many.slice(1), allowed] })).error, undefined);
    assert.equal((await hub.call('POST', '/v1/tasks', { function_id: allowed, endpoint: 'misconfigured' })).statusCode, 202);
    assert.equal((await hub.call('POST', '/v1/tasks', { function_id: other, endpoint: 'misconfigured' })).statusCode, 403);
  });

  it('a user the endpoint is only shared with cannot change its allowed functions', async () => {
    const response = await hub.call('PUT', '/v1/endpoints/alice/strict/sharing', { allowed_functions: null }, bob);
    assert.equal(response.statusCode, 403);
  });
});
