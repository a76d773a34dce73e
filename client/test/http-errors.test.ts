import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { FuncxError, MAX_SUBMISSION_BYTES, type ErrorBody } from '@funcx/protocol';
import { cleanup, makeTempDir, startHub, type HubProcess } from '@funcx/testing';
import { HubClient } from '../src/hub-client.js';

/** A raw HTTP call, so malformed bodies and missing tokens reach the hub exactly as sent. */
async function call(
  hub: HubProcess,
  method: string,
  path: string,
  options: { body?: string; token?: string | null } = {},
): Promise<{ status: number; body: ErrorBody }> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? hub.token : options.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${hub.url}${path}`, {
    method,
    headers,
    body: options.body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as ErrorBody) : (undefined as never) };
}

/**
 * A POST that announces a body of `bytes` bytes and waits for the answer before sending it: the hub judges a
 * body by its Content-Length, and a client that sent the whole body could see only the connection the hub
 * closed after answering.
 */
function postAnnounced(hub: HubProcess, path: string, bytes: number): Promise<{ status: number; body: ErrorBody }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${hub.url}${path}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json', 'content-length': bytes },
        timeout: 15_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as ErrorBody });
        });
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.flushHeaders();
  });
}

function assertErrorBody(body: ErrorBody, status: number, code: string): void {
  assert.equal(body.statusCode, status);
  assert.equal(body.code, code);
  assert.equal(typeof body.error, 'string');
  assert.ok(body.message.length > 10, `a message that says what to change: ${body.message}`);
}

describe('the hub answers bad requests with a clear error body', { timeout: 60_000 }, () => {
  let hub: HubProcess;
  before(async () => {
    hub = await startHub({ funcxHome: makeTempDir('funcx-home-') });
  });
  after(cleanup);

  test('malformed JSON is a 400 that says the body is not JSON', async () => {
    const { status, body } = await call(hub, 'POST', '/v1/functions', { body: '{"name": "f", ' });
    assert.equal(status, 400);
    assertErrorBody(body, 400, 'FUNCX_BAD_REQUEST');
  });

  test('a function without source is a 400 that names the missing field', async () => {
    const { status, body } = await call(hub, 'POST', '/v1/functions', {
      body: JSON.stringify({ name: 'f', language: 'python' }),
    });
    assert.equal(status, 400);
    assertErrorBody(body, 400, 'FUNCX_BAD_REQUEST');
    assert.match(body.message, /source/);
  });

  test('a request without a token is a 401', async () => {
    const { status, body } = await call(hub, 'GET', '/v1/functions', { token: null });
    assert.equal(status, 401);
    assertErrorBody(body, 401, 'FUNCX_UNAUTHORIZED');
  });

  test('a request with an unknown token is a 401', async () => {
    const { status, body } = await call(hub, 'GET', '/v1/endpoints', { token: 'not-a-token' });
    assert.equal(status, 401);
    assertErrorBody(body, 401, 'FUNCX_UNAUTHORIZED');
  });

  test("another user's private function is a 403, and HubClient rejects with FuncxError", async () => {
    const owner = new HubClient({ hubUrl: hub.url, token: hub.token });
    const { function_id } = await owner.registerFunction({ name: 'secret', language: 'python', source: '1' });
    const bobToken = await hub.addUser('bob');
    const { status, body } = await call(hub, 'GET', `/v1/functions/${function_id}`, { token: bobToken });
    assert.equal(status, 403);
    assertErrorBody(body, 403, 'FUNCX_FORBIDDEN');

    const bob = new HubClient({ hubUrl: hub.url, token: bobToken });
    await assert.rejects(bob.getFunction(function_id), (error: unknown) => {
      assert.ok(error instanceof FuncxError);
      assert.equal(error.code, 'FUNCX_FORBIDDEN');
      assert.equal(error.statusCode, 403);
      return true;
    });
    const submitted = await call(hub, 'POST', '/v1/tasks', {
      token: bobToken,
      body: JSON.stringify({ function_id, endpoint: 'anywhere' }),
    });
    assert.ok([403, 404].includes(submitted.status), `bob cannot run it (HTTP ${submitted.status})`);
  });

  test('an unknown function is a 404 FUNCX_FUNCTION_NOT_FOUND', async () => {
    const { status, body } = await call(hub, 'GET', '/v1/functions/00000000-0000-4000-8000-000000000000');
    assert.equal(status, 404);
    assertErrorBody(body, 404, 'FUNCX_FUNCTION_NOT_FOUND');
  });

  test('a task for an unknown endpoint is a 404 FUNCX_ENDPOINT_NOT_FOUND', async () => {
    const { status, body } = await call(hub, 'POST', '/v1/tasks', {
      body: JSON.stringify({ source: '1', endpoint: 'no-such-endpoint' }),
    });
    assert.equal(status, 404);
    assertErrorBody(body, 404, 'FUNCX_ENDPOINT_NOT_FOUND');
  });

  test('an unknown task is a 404 FUNCX_TASK_NOT_FOUND', async () => {
    const { status, body } = await call(hub, 'GET', '/v1/tasks/00000000-0000-4000-8000-000000000000');
    assert.equal(status, 404);
    assertErrorBody(body, 404, 'FUNCX_TASK_NOT_FOUND');
  });

  test('a body over the submission cap is a 413', async () => {
    const { status, body } = await postAnnounced(hub, '/v1/functions', MAX_SUBMISSION_BYTES + 1024);
    assert.equal(status, 413);
    assertErrorBody(body, 413, 'FUNCX_PAYLOAD_TOO_LARGE');
  });

  test('HubClient refuses a body over the cap before sending it, with the same error code', async () => {
    const client = new HubClient({ hubUrl: hub.url, token: hub.token });
    const source = 'a'.repeat(MAX_SUBMISSION_BYTES + 1);
    await assert.rejects(client.registerFunction({ name: 'huge', language: 'python', source }), (error: unknown) => {
      assert.ok(error instanceof FuncxError);
      assert.equal(error.code, 'FUNCX_PAYLOAD_TOO_LARGE');
      assert.equal(error.statusCode, 413);
      assert.match(error.message, /over the hub's limit of 10\.0 MB/);
      return true;
    });
  });

  test('a socket with an unknown token is refused with FUNCX_UNAUTHORIZED and stays disconnected', async () => {
    const client = new HubClient({ hubUrl: hub.url, token: 'fx_not-a-token' });
    try {
      await assert.rejects(client.connect(), (error: unknown) => {
        assert.ok(error instanceof FuncxError);
        assert.equal(error.code, 'FUNCX_UNAUTHORIZED');
        return true;
      });
      assert.equal(client.connectionState, 'disconnected');
    } finally {
      client.close();
    }
  });

  test('a socket submission for an unknown endpoint rejects with FUNCX_ENDPOINT_NOT_FOUND', async () => {
    const client = new HubClient({ hubUrl: hub.url, token: hub.token });
    try {
      await assert.rejects(client.submitLive([{ source: '1', endpoint: 'no-such-endpoint' }]), (error: unknown) => {
        assert.ok(error instanceof FuncxError);
        assert.equal(error.code, 'FUNCX_ENDPOINT_NOT_FOUND');
        assert.match(error.message, /no-such-endpoint/);
        return true;
      });
    } finally {
      client.close();
    }
  });

  test('HubClient names the URL when the hub cannot be reached', async () => {
    const client = new HubClient({ hubUrl: 'http://127.0.0.1:1', token: 'x', requestTimeoutMs: 5_000 });
    await assert.rejects(client.listEndpoints(), (error: unknown) => {
      assert.ok(error instanceof FuncxError);
      assert.equal(error.code, 'FUNCX_HUB_UNREACHABLE');
      assert.match(error.message, /http:\/\/127\.0\.0\.1:1/);
      assert.match(error.message, /funcx-hub is running/);
      return true;
    });
  });
});
