import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io as connectSocket } from 'socket.io-client';
import { ENDPOINT_NAMESPACE, MAX_WASM_MODULE_BYTES, type FunctionCode } from '@funcx/protocol';
import { wasmModule, wasmSource } from '@funcx/testing';
import { registerEndpoint, startTestHub, type EndpointClient, type TestHub } from './support/hub.js';

let hub: TestHub;
const sockets: EndpointClient[] = [];
const LOAD = { workers_total: 1, workers_busy: 0, queued: 0, running: 0, warm_images: [] };
const WASM_AND_PYTHON = { languages: ['python', 'wasm'], isolation: ['process'] };

before(async () => {
  hub = await startTestHub();
});
after(async () => {
  for (const socket of sockets) socket.disconnect();
  await hub.cleanup();
});

/** Connects as the endpoint and says hello with these fields; resolves with the socket and the ack. */
async function hello(endpointToken: string, extra: object): Promise<{ socket: EndpointClient; ack: { error?: { message: string } } }> {
  const socket = connectSocket(hub.url + ENDPOINT_NAMESPACE, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: endpointToken } }) as EndpointClient;
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const ack = (await socket.timeout(5000).emitWithAck('hello', { held_task_ids: [], load: LOAD, version: 'test', ...extra } as never)) as { error?: { message: string } };
  return { socket, ack };
}

const register = (body: object) => hub.call('POST', '/v1/functions', { name: 'fn', language: 'wasm', ...body });

describe('registering a wasm function', () => {
  it('takes a module in base64 with its exported entrypoint, and keeps its language', async () => {
    const created = await register({ name: 'add', source: wasmSource('add'), entrypoint: 'add' });
    assert.equal(created.statusCode, 201, JSON.stringify(created.body));
    const fn = await hub.call('GET', `/v1/functions/${created.body.function_id}`);
    assert.equal(fn.body.language, 'wasm');
    assert.equal(fn.body.entrypoint, 'add');
  });

  it('takes a WASI command (a C program with main) without an entrypoint', async () => {
    assert.equal((await register({ source: wasmSource('sum') })).statusCode, 201);
  });

  it('refuses source that is not base64, naming how to make it', async () => {
    const refused = await register({ source: '(module)' });
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.body.code, 'FUNCX_WASM_INVALID');
    assert.match(refused.body.message, /must be the module's bytes in base64 \(e\.g\. base64 -w0 module\.wasm\)/);
  });

  it('refuses bytes that are not a module (its text form), saying why WebAssembly.validate failed', async () => {
    const refused = await register({ source: Buffer.from('(module (func (export "f")))').toString('base64'), entrypoint: 'f' });
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.body.code, 'FUNCX_WASM_INVALID');
    assert.match(refused.body.message, /it does not validate \(.*magic.*\); upload the \.wasm file itself .*not its text form/);
  });

  it('refuses a module importing what endpoints do not provide, naming the import', async () => {
    const refused = await register({ source: wasmSource('foreign-import'), entrypoint: 'run' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body.message, /it imports env\.launch_missiles \(function\); endpoints provide only the functions of wasi_snapshot_preview1/);
  });

  it('refuses an entrypoint the module does not export, listing what it exports', async () => {
    const refused = await register({ source: wasmSource('add'), entrypoint: 'subtract' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body.message, /it has no exported function "subtract" \(it exports the functions add\)/);
    const noStart = await register({ source: wasmSource('add') });
    assert.equal(noStart.statusCode, 400);
    assert.match(noStart.body.message, /runs as a WASI command, but it has no _start \(it exports the functions add\): name one as entrypoint/);
  });

  it('refuses a module over the size cap with a 413 that says the cap', async () => {
    const big = Buffer.concat([wasmModule('add'), Buffer.alloc(MAX_WASM_MODULE_BYTES)]);
    const refused = await register({ source: big.toString('base64'), entrypoint: 'add' });
    assert.equal(refused.statusCode, 413);
    assert.match(refused.body.message, /The module is 4\.0 MiB; a wasm function may be at most 4 MiB/);
  });

  it('refuses isolation "process" for a wasm function, and an unknown language', async () => {
    const process = await register({ source: wasmSource('add'), entrypoint: 'add', isolation: 'process' });
    assert.equal(process.statusCode, 400);
    assert.match(process.body.message, /a wasm function always runs in WebAssembly/);
    const rust = await register({ source: 'x', language: 'rust' });
    assert.equal(rust.statusCode, 400);
    assert.match(rust.body.message, /body\/language must be one of "python", "wasm"/);
  });
});

describe('routing by what endpoints run', () => {
  let add: string;
  let untrusted: string;
  let plain: string;
  before(async () => {
    add = (await register({ name: 'add', source: wasmSource('add'), entrypoint: 'add' })).body.function_id;
    untrusted = (await hub.call('POST', '/v1/functions', { name: 'untrusted', source: '1 + 1', isolation: 'wasm' })).body.function_id;
    plain = (await hub.call('POST', '/v1/functions', { name: 'plain', source: '1 + 1' })).body.function_id;
  });

  it('refuses a wasm task for an endpoint that never said it runs wasm, saying what it runs and what to do', async () => {
    await registerEndpoint(hub, 'old');
    const refused = await hub.call('POST', '/v1/tasks', { function_id: add, endpoint: 'old', args: [1, 2] });
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.body.code, 'FUNCX_ENDPOINT_INCAPABLE');
    assert.match(refused.body.message, new RegExp(`Endpoint "old" cannot run function ${add} \\("add", a wasm function\\): it runs python functions, not wasm`));
    assert.match(refused.body.message, /or has not connected yet/);
    assert.match(refused.body.message, /wasm_threads/);
    assert.equal((await hub.call('POST', '/v1/tasks', { function_id: plain, endpoint: 'old' })).statusCode, 202, 'Python still goes there');
  });

  it('keeps the capabilities of the hello on the endpoint, shows them, and sends the code with its language', async () => {
    const { endpoint_token } = await registerEndpoint(hub, 'edge');
    const { socket, ack } = await hello(endpoint_token, { capabilities: WASM_AND_PYTHON });
    assert.equal(ack.error, undefined);
    const view = await hub.call('GET', '/v1/endpoints/edge');
    assert.deepEqual(view.body.capabilities, WASM_AND_PYTHON);
    const dispatched = new Promise<FunctionCode[]>((resolve) => socket.once('tasks:dispatch', (batch) => resolve(batch.functions)));
    const accepted = await hub.call('POST', '/v1/tasks', { function_id: add, endpoint: 'edge', args: [1, 2] });
    assert.equal(accepted.statusCode, 202);
    const [code] = await dispatched;
    assert.equal(code.function_id, add);
    assert.equal(code.language, 'wasm');
    assert.equal(code.entrypoint, 'add');
    socket.disconnect();
    const offline = await hub.call('POST', '/v1/tasks', { function_id: add, endpoint: 'edge', args: [1, 2] });
    assert.equal(offline.statusCode, 202, 'an offline endpoint is judged by what it last said');
  });

  it('routes a group only to its members that run wasm, and refuses one where none does', async () => {
    await hub.call('POST', '/v1/endpoint-groups', { name: 'mixed', endpoints: ['old', 'edge'] });
    for (let i = 0; i < 4; i++) {
      const task = await hub.call('POST', '/v1/tasks', { function_id: add, endpoint: 'group:mixed', policy: 'round-robin', args: [i, 1] });
      assert.equal(task.statusCode, 202);
      const record = await hub.call('GET', `/v1/tasks/${task.body.task_id}`);
      assert.equal(record.body.routing.candidates.length, 1, 'the endpoint without wasm is no candidate');
      assert.equal(record.body.endpoint_id, (await hub.call('GET', '/v1/endpoints/edge')).body.endpoint_id);
    }
    await hub.call('POST', '/v1/endpoint-groups', { name: 'pythonic', endpoints: ['old'] });
    const refused = await hub.call('POST', '/v1/tasks', { function_id: add, endpoint: 'group:pythonic' });
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.body.code, 'FUNCX_ENDPOINT_INCAPABLE');
    const list = await hub.call('POST', '/v1/tasks/batch', { tasks: [{ function_id: plain, endpoint: 'old' }, { function_id: add, endpoint: ['old', 'old'] }] });
    assert.equal(list.statusCode, 409);
    assert.match(list.body.message, /^tasks\[1\]: Endpoint "old" cannot run/);
  });

  it('sends Python with isolation "wasm" only where Pyodide runs', async () => {
    const refused = await hub.call('POST', '/v1/tasks', { function_id: untrusted, endpoint: 'edge' });
    assert.equal(refused.statusCode, 409);
    assert.match(refused.body.message, /a Python function with isolation "wasm"\): it runs Python with process isolation, not wasm/);
    assert.match(refused.body.message, /pyodide: true/);
    const { endpoint_token } = await registerEndpoint(hub, 'sandboxed');
    await hello(endpoint_token, { capabilities: { languages: ['python', 'wasm'], isolation: ['process', 'wasm'] } });
    assert.equal((await hub.call('POST', '/v1/tasks', { function_id: untrusted, endpoint: 'sandboxed' })).statusCode, 202);
  });

  it('refuses a hello whose capabilities name what does not exist', async () => {
    const { endpoint_token } = await registerEndpoint(hub, 'confused');
    const { ack } = await hello(endpoint_token, { capabilities: { languages: ['rust'], isolation: [] } });
    assert.match(ack.error?.message ?? '', /hello\/capabilities\/languages\/0 must be one of "python", "wasm"/);
  });
});
