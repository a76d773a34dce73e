import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { CLIENT_NAMESPACE, ENDPOINT_NAMESPACE, MAX_SUBMISSION_BYTES } from '@funcx/protocol';
import { addUser } from '../src/users.js';
import { RawSocket } from './support/raw-socket.js';
import { bodyText, fitting, nestedText, type Schema } from './support/schema-arbitrary.js';
import { collect, connectEndpoint, registerEndpoint, startTestHub, waitFor, type EndpointClient, type TestHub } from './support/hub.js';

/**
 * Requests generated from the hub's own OpenAPI document, and socket messages for both namespaces: fitting,
 * broken and hostile ones (nesting to 10,000 deep, sizes past the limits, wrong types, unknown fields, bad
 * tokens). The hub must answer each with a 2xx or a 4xx whose JSON body names a FUNCX_* code, never a 5xx,
 * and stay healthy. The seed is fixed so a failure repeats; FUNCX_FUZZ_SEED and FUNCX_FUZZ_RUNS explore more.
 */

const SEED = Number(process.env.FUNCX_FUZZ_SEED ?? 20261201);
const RUNS = Number(process.env.FUNCX_FUZZ_RUNS ?? 1);

let hub: TestHub;
let endpoint: EndpointClient;
let endpointToken: string;
/** An endpoint the REST fuzzing does not know of (it may delete `site`), for the endpoint socket's turn. */
let reportingToken: string;
let bobToken: string;
const known = { functionId: '', taskId: '', endpointId: '' };

before(async () => {
  hub = await startTestHub({ rateLimit: 0, requestRateLimit: 0 });
  bobToken = addUser(hub.dataDir, 'bob');
  const created = await registerEndpoint(hub, 'site');
  endpointToken = created.endpoint_token;
  known.endpointId = created.endpoint_id;
  endpoint = await connectEndpoint(hub.url, endpointToken);
  collect(endpoint);
  reportingToken = (await registerEndpoint(hub, 'reporting')).endpoint_token;
  known.functionId = (await hub.call('POST', '/v1/functions', { name: 'f', source: 'def f(x):\n    return x\n', entrypoint: 'f' })).body.function_id;
  known.taskId = (await hub.call('POST', '/v1/tasks', { function_id: known.functionId, endpoint: 'site', args: [1] })).body.task_id;
});
after(async () => {
  endpoint.disconnect();
  await hub.cleanup();
});

const EVENT_STREAM = '/v1/events';

interface Operation {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  params: string[];
  body?: Schema;
}

async function operations(): Promise<Operation[]> {
  const doc = hub.running.app.swagger() as { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: { content: Record<string, { schema: Schema }> } }>> };
  const found: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    // An event stream answers a good request by staying open: fuzzed on its own, over real HTTP, below.
    if (path === EVENT_STREAM) continue;
    for (const [method, operation] of Object.entries(item)) {
      found.push({
        method: method.toUpperCase() as Operation['method'],
        path,
        params: (operation.parameters ?? []).filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name),
        body: operation.requestBody?.content['application/json']?.schema,
      });
    }
  }
  return found;
}

const paramValue = () =>
  fc.oneof(
    fc.constantFrom(known.functionId, known.taskId, known.endpointId, 'site', 'bob', 'alice'),
    fc.uuid(),
    fc.string({ maxLength: 80 }),
    fc.string({ unit: 'grapheme', minLength: 200, maxLength: 400 }),
    fc.constantFrom('..', '%00', '%2e%2e%2f', 'a%2Fb', '\u202e', '%F0%9F%92%A9'),
  );

const tokenChoice = () => fc.constantFrom<'alice' | 'bob' | 'none' | 'bogus' | 'endpoint'>('alice', 'alice', 'bob', 'none', 'bogus', 'endpoint');

function tokenFor(choice: 'alice' | 'bob' | 'none' | 'bogus' | 'endpoint'): string | undefined {
  return { alice: hub.token, bob: bobToken, none: undefined, bogus: 'fxu_not-a-token', endpoint: endpointToken }[choice];
}

function checkAnswer(statusCode: number, body: string, what: string): void {
  assert.ok(statusCode < 500, `${what} answered ${statusCode}: ${body.slice(0, 300)}`);
  if (statusCode >= 400) {
    const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
    assert.match(String(parsed.code), /^FUNCX_[A-Z_]+$/, `${what}: error body ${body.slice(0, 200)}`);
    assert.equal(typeof parsed.message, 'string');
  }
}

async function healthy(): Promise<void> {
  const response = await fetch(`${hub.url}/v1/health`);
  assert.equal(response.status, 200);
}

describe('schema-driven fuzzing', () => {
  it('REST: every route of the OpenAPI document, fitting, broken and hostile requests', async () => {
    const ops = await operations();
    assert.ok(ops.length >= 15, `${ops.length} operations in the OpenAPI document`);
    let sent = 0;
    for (const op of ops) {
      const request = fc.record({
        params: fc.array(paramValue(), { minLength: op.params.length, maxLength: op.params.length }),
        body: op.body ? bodyText(op.body) : fc.option(bodyText(undefined), { nil: undefined }),
        token: tokenChoice(),
        contentType: fc.constantFrom('application/json', 'application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded'),
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ params, body, token, contentType }) => {
          let url = op.path;
          op.params.forEach((name, i) => (url = url.replace(`{${name}}`, encodeURIComponent(params[i]))));
          const bearer = tokenFor(token);
          const headers: Record<string, string> = bearer ? { authorization: `Bearer ${bearer}` } : {};
          if (body !== undefined && op.method !== 'GET') headers['content-type'] = contentType;
          const response = await hub.running.app.inject({ method: op.method, url, headers, ...(body !== undefined && op.method !== 'GET' ? { payload: body } : {}) });
          sent++;
          checkAnswer(response.statusCode, response.body, `${op.method} ${url}`);
        }),
        { seed: SEED, numRuns: 500 * RUNS },
      );
    }
    assert.ok(sent >= ops.length * 500);
    await healthy();
    // The requests may have revoked alice's tokens (DELETE /v1/users/alice/tokens is one of them): the next
    // tests start with a fresh one.
    hub.token = addUser(hub.dataDir, 'alice');
  });

  it('the event stream: any query, answered with a stream or a JSON error, never a 5xx', async () => {
    const query = fc.oneof(
      fc.constant(''),
      fc.array(fc.oneof(fc.uuid(), fc.constant(known.taskId), fc.string({ maxLength: 40 })), { maxLength: 5 }).map((ids) => `tasks=${encodeURIComponent(ids.join(','))}`),
      fc.string({ maxLength: 60 }).map((text) => encodeURIComponent(text)),
    );
    await fc.assert(
      fc.asyncProperty(query, tokenChoice(), async (search, token) => {
        const controller = new AbortController();
        const bearer = tokenFor(token);
        const response = await fetch(`${hub.url}${EVENT_STREAM}?${search}`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {}, signal: controller.signal });
        try {
          if (response.status === 200) {
            assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
          } else {
            checkAnswer(response.status, await response.text(), `${EVENT_STREAM}?${search}`);
          }
        } finally {
          controller.abort();
        }
      }),
      { seed: SEED, numRuns: 60 * RUNS },
    );
    await healthy();
  });

  it('REST over real HTTP: bodies past the size limit on every route that takes one get 413 with a JSON body', async () => {
    const big = JSON.stringify({ name: 'big', source: 'x'.repeat(MAX_SUBMISSION_BYTES + 1), endpoint: 'site' });
    for (const op of (await operations()).filter((candidate) => candidate.method === 'POST')) {
      const url = op.path.replace(/\{[^}]+\}/g, known.taskId);
      const response = await fetch(`${hub.url}${url}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json' },
        body: big,
      });
      const text = await response.text();
      assert.equal(response.status, 413, `${url}: ${text.slice(0, 200)}`);
      checkAnswer(response.status, text, url);
    }
    await healthy();
  });

  it('the client socket: any event, any arguments, answered with a result or an error, never an internal one', async () => {
    const socket = await RawSocket.connect(hub.url, CLIENT_NAMESPACE, { token: hub.token });
    try {
      const submitSchema: Schema = { type: 'object', required: ['tasks'], properties: { tasks: { type: 'array', items: { type: 'object', required: ['endpoint'], properties: { endpoint: { enum: ['site', 'nowhere', 'bob/x'] }, source: { type: 'string' }, args: { type: 'array' }, timeout_s: { type: 'number' } } } } } };
      const message = fc.record({
        event: fc.constantFrom('tasks:submit', 'tasks:subscribe', 'tasks:cancel', 'endpoints:list', 'nonsense', '__proto__'),
        args: fc.oneof(
          fitting(submitSchema).map((value) => JSON.stringify(value)),
          fc.record({ task_ids: fc.array(fc.oneof(fc.uuid(), fc.constant(known.taskId), fc.string()), { maxLength: 5 }) }).map((value) => JSON.stringify(value)),
          fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
          fc.integer({ min: 60, max: 10_000 }).map((depth) => `{"tasks":[{"endpoint":"site","source":"pass","args":${nestedText(depth)}}]}`),
        ),
      });
      let answered = 0;
      await fc.assert(
        fc.asyncProperty(message, async ({ event, args }) => {
          if (event === 'endpoints:list') {
            await socket.emitText(event, '');
            answered++;
            return;
          }
          if (event === 'nonsense' || event === '__proto__') {
            socket.sendText(event, args);
            return;
          }
          const [reply] = (await socket.emitText(event, args)) as [{ error?: { statusCode: number; code: string } }];
          answered++;
          if (reply && typeof reply === 'object' && reply.error) {
            assert.ok(reply.error.statusCode < 500, `${event} ${args.slice(0, 200)} → ${JSON.stringify(reply.error)}`);
            assert.match(reply.error.code, /^FUNCX_/);
          }
        }),
        { seed: SEED, numRuns: 300 * RUNS },
      );
      assert.ok(answered > 100);
    } finally {
      socket.close();
    }
    await healthy();
  });

  it('the endpoint socket: any report, and the hub still runs a task end to end afterwards', async () => {
    const raw = await RawSocket.connect(hub.url, ENDPOINT_NAMESPACE, { token: reportingToken });
    const report = fc.record({
      event: fc.constantFrom('tasks:state', 'tasks:output', 'tasks:done', 'heartbeat', 'hello'),
      body: fc.oneof(
        fc.array(
          fc.record({
            task_id: fc.oneof(fc.constant(known.taskId), fc.uuid(), fc.string()),
            state: fc.constantFrom('running', 'success', 'failed', 'cancelled', 'bogus'),
            timestamps: fc.oneof(fc.constant({}), fc.dictionary(fc.constantFrom('running', 'success', 'x'), fc.jsonValue({ maxDepth: 2 }))),
            output: fc.jsonValue({ maxDepth: 3 }),
            result: fc.jsonValue({ maxDepth: 3 }),
            error: fc.jsonValue({ maxDepth: 3 }),
          }, { requiredKeys: ['task_id'] }),
          { maxLength: 4 },
        ).map((value) => JSON.stringify(value)),
        fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
        fc.integer({ min: 60, max: 10_000 }).map((depth) => `[{"task_id":"${known.taskId}","state":"success","timestamps":{"received":${nestedText(depth)}}}]`),
        fc.constant(`{"workers_total":1,"workers_busy":0,"queued":0,"running":0,"warm_images":${JSON.stringify(Array.from({ length: 3000 }, (_, i) => ({ image: `img${i}`, workers: 1, idle: 1 })))}}`),
      ),
    });
    try {
      await fc.assert(
        fc.asyncProperty(report, async ({ event, body }) => {
          if (event === 'tasks:done' || event === 'hello') {
            const [reply] = (await raw.emitText(event, body)) as [{ error?: { statusCode: number } }];
            if (reply && typeof reply === 'object' && reply.error) assert.ok(reply.error.statusCode < 500, JSON.stringify(reply.error));
          } else {
            raw.sendText(event, body);
          }
        }),
        { seed: SEED, numRuns: 300 * RUNS },
      );
    } finally {
      raw.close();
    }
    await healthy();

    // A well-behaved daemon of the same endpoint connects, and a fresh task goes through it and completes.
    const daemon = await connectEndpoint(hub.url, reportingToken);
    const received = collect(daemon);
    const fn = (await hub.call('POST', '/v1/functions', { name: 'echo', source: 'def echo(x):\n    return x\n', entrypoint: 'echo' })).body.function_id;
    const taskId = (await hub.call('POST', '/v1/tasks', { function_id: fn, endpoint: 'reporting', args: [7] })).body.task_id as string;
    await waitFor(() => received.tasks.some((task) => task.task_id === taskId), 5000, 'dispatch after fuzzing');
    const ack = await daemon.timeout(5000).emitWithAck('tasks:done', [{ task_id: taskId, state: 'success', timestamps: {}, result: { value: 7, data: { 'text/plain': '7' } } }]);
    assert.deepEqual(ack, { recorded: [taskId] });
    assert.equal((await hub.call('GET', `/v1/tasks/${taskId}`)).body.state, 'success');
    daemon.disconnect();
  });
});
