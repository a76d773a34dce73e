import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CLIENT_NAMESPACE, ENDPOINT_NAMESPACE, MAX_JSON_DEPTH, type TaskRecord } from '@funcx/protocol';
import { nested, RawSocket } from './support/raw-socket.js';
import { collect, connectEndpoint, registerEndpoint, startTestHub, waitFor, type EndpointClient, type TestHub } from './support/hub.js';

let hub: TestHub;
let endpoint: EndpointClient;
let endpointToken: string;
const received = { tasks: [] as { task_id: string }[] };

before(async () => {
  hub = await startTestHub({ requestTimeoutMs: 1_000 });
  endpointToken = (await registerEndpoint(hub, 'site')).endpoint_token;
  endpoint = await connectEndpoint(hub.url, endpointToken);
  received.tasks = collect(endpoint).tasks;
});
after(async () => {
  endpoint.disconnect();
  await hub.cleanup();
});

async function healthy(): Promise<void> {
  const response = await fetch(`${hub.url}/v1/health`);
  assert.equal(response.status, 200, 'the hub still answers');
}

async function post(path: string, body: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${hub.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json' },
    body,
  });
  return { status: response.status, body: await response.json() };
}

async function dispatchedTask(): Promise<string> {
  const before = received.tasks.length;
  const taskId = (await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'site' })).body.task_id as string;
  await waitFor(() => received.tasks.length > before, 5000, 'dispatch');
  return taskId;
}

async function task(taskId: string): Promise<TaskRecord> {
  return (await hub.call('GET', `/v1/tasks/${taskId}`)).body as TaskRecord;
}

describe('deeply nested messages are refused where they arrive', () => {
  it('REST: arguments nested 10,000 deep get a 400 that names the limit', async () => {
    const response = await post('/v1/tasks', `{"source":"pass","endpoint":"site","args":${nested(10_000)}}`);
    assert.equal(response.status, 400);
    assert.equal(response.body.code, 'FUNCX_NESTED_TOO_DEEP');
    assert.match(response.body.message, new RegExp(`${MAX_JSON_DEPTH} levels`));
    await healthy();
  });

  it('REST: nesting within the limit is accepted', async () => {
    const response = await post('/v1/tasks', `{"source":"pass","endpoint":"site","args":${nested(MAX_JSON_DEPTH - 3)}}`);
    assert.equal(response.status, 202);
  });

  it('client socket: tasks:submit nested 10,000 deep is answered with the error', async () => {
    const socket = await RawSocket.connect(hub.url, CLIENT_NAMESPACE, { token: hub.token });
    try {
      const [reply] = (await socket.emitText('tasks:submit', `{"tasks":[{"source":"pass","endpoint":"site","args":${nested(10_000)}}]}`)) as [{ error: { code: string } }];
      assert.equal(reply.error.code, 'FUNCX_NESTED_TOO_DEEP');
    } finally {
      socket.close();
    }
    await healthy();
  });

  it('endpoint socket: a state report with timestamps nested 6,000 deep changes nothing and the hub runs on', async () => {
    const taskId = await dispatchedTask();
    const raw = await RawSocket.connect(hub.url, ENDPOINT_NAMESPACE, { token: endpointToken });
    try {
      raw.sendText('tasks:state', `[{"task_id":"${taskId}","state":"running","timestamps":{"running":${nested(6_000)}}}]`);
      const [reply] = (await raw.emitText('tasks:done', `[{"task_id":"${taskId}","state":"success","timestamps":{},"result":{"data":{"text/plain":"1"},"value":${nested(10_000)}}}]`)) as [{ recorded: string[] }];
      assert.deepEqual(reply.recorded, [taskId], 'the bad report is acknowledged, so the endpoint does not send it forever');
    } finally {
      raw.close();
    }
    const stored = await task(taskId);
    assert.equal(stored.state, 'failed');
    assert.equal(stored.error?.ename, 'InvalidReport');
    assert.match(stored.error!.evalue, /levels deep/);
    await healthy();
  });
});

describe('endpoint reports are checked against the same schemas as REST', () => {
  it('a completion with a timestamp that is not a number fails its task with the reason', async () => {
    const taskId = await dispatchedTask();
    const ack = await endpoint.timeout(5000).emitWithAck('tasks:done', [
      { task_id: taskId, state: 'success', timestamps: { received: 'x' as unknown as number } },
    ]);
    assert.deepEqual(ack, { recorded: [taskId] });
    const stored = await task(taskId);
    assert.equal(stored.error?.ename, 'InvalidReport');
    assert.match(stored.error!.evalue, /timestamps\/received must be number/);
    assert.deepEqual(Object.values(stored.timestamps).filter((value) => typeof value !== 'number'), []);
  });

  it('a traceback sent as a string fails its task instead of breaking clients that list it', async () => {
    const taskId = await dispatchedTask();
    await endpoint.timeout(5000).emitWithAck('tasks:done', [
      { task_id: taskId, state: 'failed', timestamps: {}, error: { ename: 'E', evalue: 'v', traceback: 'not a list' as unknown as string[] } },
    ]);
    const stored = await task(taskId);
    assert.equal(stored.error?.ename, 'InvalidReport');
    assert.ok(Array.isArray(stored.error?.traceback));
  });

  it('a state report with an unknown state or a negative timestamp changes nothing', async () => {
    const taskId = await dispatchedTask();
    const before = (await task(taskId)).state;
    endpoint.emit('tasks:state', [{ task_id: taskId, state: 'exploded' as 'running', timestamps: {} }]);
    endpoint.emit('tasks:state', [{ task_id: taskId, state: 'running', timestamps: { running: -5 } }]);
    // Reports are handled in order: once this ack arrives, both reports above were.
    const ack = await endpoint.timeout(5000).emitWithAck('tasks:done', []);
    assert.deepEqual(ack, { recorded: [] });
    assert.equal((await task(taskId)).state, before);
  });

  it('a hello that is not of its shape is refused with a reason', async () => {
    const raw = await RawSocket.connect(hub.url, ENDPOINT_NAMESPACE, { token: endpointToken });
    try {
      const [reply] = (await raw.emitText('hello', '{"held_task_ids":"all","load":{},"version":"x"}')) as [{ error: { code: string; message: string } }];
      assert.equal(reply.error.code, 'FUNCX_BAD_REQUEST');
      assert.match(reply.error.message, /held_task_ids must be array/);
    } finally {
      raw.close();
    }
    // The real endpoint was displaced by the raw one's connection; it says hello again.
    endpoint.disconnect();
    endpoint = await connectEndpoint(hub.url, endpointToken);
    received.tasks = collect(endpoint).tasks;
  });
});

describe('the socket path has the limits REST has', () => {
  it('a timeout longer than two weeks is refused on both paths', async () => {
    const rest = await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'site', timeout_s: 3_000_000 });
    assert.equal(rest.statusCode, 400);
    assert.match(rest.body.message, /timeout_s must be <= 1209600/);
    const socket = await RawSocket.connect(hub.url, CLIENT_NAMESPACE, { token: hub.token });
    try {
      const [reply] = (await socket.emitText('tasks:submit', '{"tasks":[{"source":"pass","endpoint":"site","timeout_s":3000000}]}')) as [{ error: { code: string } }];
      assert.equal(reply.error.code, 'FUNCX_BAD_REQUEST');
    } finally {
      socket.close();
    }
  });

  it('a submission over 10 MiB is refused with 413 over the socket', async () => {
    const socket = await RawSocket.connect(hub.url, CLIENT_NAMESPACE, { token: hub.token });
    try {
      const big = JSON.stringify('x'.repeat(11 * 1024 * 1024));
      const [reply] = (await socket.emitText('tasks:submit', `{"tasks":[{"source":"pass","endpoint":"site","args":[${big}]}]}`, 20_000)) as [{ error: { code: string; statusCode: number; message: string } }];
      assert.equal(reply.error.code, 'FUNCX_PAYLOAD_TOO_LARGE');
      assert.equal(reply.error.statusCode, 413);
      assert.match(reply.error.message, /limit is 10 MiB/);
    } finally {
      socket.close();
    }
  });

  it('submissions faster than the rate limit get 429 with a retry time, on REST and the socket alike', async () => {
    const limited = await startTestHub({ rateLimit: 5 });
    try {
      await registerEndpoint(limited, 'e');
      const socket = await RawSocket.connect(limited.url, CLIENT_NAMESPACE, { token: limited.token });
      try {
        const replies = await Promise.all(
          Array.from({ length: 30 }, () => socket.emitText('tasks:submit', '{"tasks":[{"source":"pass","endpoint":"e"}]}')),
        );
        const errors = replies.map(([reply]) => (reply as { error?: { code: string; retry_after_s?: number } }).error).filter(Boolean);
        assert.ok(errors.length >= 15, `${errors.length} of 30 refused`);
        assert.equal(errors[0]!.code, 'FUNCX_RATE_LIMITED');
        assert.ok(errors[0]!.retry_after_s! >= 1);
      } finally {
        socket.close();
      }
      const response = await fetch(`${limited.url}/v1/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${limited.token}`, 'content-type': 'application/json' },
        body: '{"source":"pass","endpoint":"e"}',
      });
      assert.equal(response.status, 429, 'the socket used up the same bucket');
      assert.ok(Number(response.headers.get('retry-after')) >= 1);
      assert.equal(((await response.json()) as { code: string }).code, 'FUNCX_RATE_LIMITED');
    } finally {
      await limited.cleanup();
    }
  });
});

/** Streams a 20 MiB body slowly (256 KiB every few ms) and returns what the hub answered, or the socket error. */
function streamLargeBody(chunked: boolean): Promise<{ answer: string; error?: string }> {
  const total = 20 * 1024 * 1024;
  const chunk = Buffer.alloc(256 * 1024, 'x');
  return new Promise((resolve) => {
    const socket = connect(Number(new URL(hub.url).port), '127.0.0.1');
    let answer = '';
    let sent = 0;
    const done = (error?: string) => {
      clearInterval(timer);
      socket.destroy();
      resolve({ answer, error });
    };
    socket.on('data', (data) => {
      answer += data.toString();
      if (answer.includes('\r\n\r\n') && answer.trimEnd().endsWith('}')) done();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => done(error.code));
    socket.on('close', () => done('closed before answering'));
    socket.write(
      `POST /v1/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${hub.token}\r\nContent-Type: application/json\r\n` +
        (chunked ? 'Transfer-Encoding: chunked\r\n\r\n' : `Content-Length: ${total}\r\n\r\n`),
    );
    const timer = setInterval(() => {
      if (sent >= total) {
        if (chunked) socket.write('0\r\n\r\n');
        clearInterval(timer);
        return;
      }
      socket.write(chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk);
      sent += chunk.length;
    }, 2);
  });
}

describe('a body over the limit sent slowly', () => {
  for (const chunked of [false, true]) {
    it(`gets its 413 with the JSON body every time, never a reset connection (${chunked ? 'chunked' : 'Content-Length'})`, async () => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const { answer, error } = await streamLargeBody(chunked);
        assert.equal(error, undefined, `attempt ${attempt}: ${error}; answer so far: ${answer.slice(0, 80)}`);
        assert.match(answer, /^HTTP\/1\.1 413/);
        assert.match(answer, /"code":"FUNCX_PAYLOAD_TOO_LARGE"/);
      }
    });
  }
});

describe('connections that do not belong', () => {
  it('the default Socket.IO namespace refuses connections, saying where to connect', async () => {
    await assert.rejects(RawSocket.connect(hub.url, '', undefined), (error: Error & { data?: { code: string; message: string } }) => {
      assert.equal(error.data?.code, 'FUNCX_ROUTE_NOT_FOUND');
      assert.match(error.data!.message, /\/client/);
      return true;
    });
  });

  it('a request whose body never finishes is answered 408 and closed within the request timeout', async () => {
    const { port } = new URL(hub.url);
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`POST /v1/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${hub.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"source":`);
      });
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    assert.ok(Date.now() - started < 5_000, `closed after ${Date.now() - started} ms`);
    assert.match(answer, /^HTTP\/1\.1 408/);
    assert.match(answer, /FUNCX_REQUEST_TIMEOUT/);
  });
});

