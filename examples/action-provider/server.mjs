#!/usr/bin/env node
// An example action provider: a tiny HTTP server that speaks the action-provider API the hub calls
// (docs/flows.md, "Action providers"). Run it with `node examples/action-provider/server.mjs [--port 8471]`.
//
// Its actions (the state's Parameters are the run request's body):
//   {"op": "sleep", "seconds": 2, "value": ...}   succeeds after that long, with details {value, slept_s}
//   {"op": "fail", "seconds": 0.5, "message": ...} fails after that long, with details {message}
//   {"op": "echo", ...}                            succeeds at once, with the body as details
// The same request_id always means the same action, so a hub that asks twice (after a crash) starts it once.
// GET /stats says how many actions were started and completed, per request id: tests count executions there.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';

const args = process.argv.slice(2);
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : 8471;

/** action_id -> { status, request_id, body, callback_url, timer } */
const actions = new Map();
/** request_id -> action_id */
const byRequest = new Map();
const stats = { run_requests: 0, started: 0, completed: 0, cancelled: 0, released: 0, executions: {} };

function now() {
  return new Date().toISOString();
}

function finish(action, status, details, display) {
  if (action.status.status === 'SUCCEEDED' || action.status.status === 'FAILED') return;
  clearTimeout(action.timer);
  action.status = { ...action.status, status, details, display_status: display ?? status, completion_time: now() };
  stats.completed++;
  stats.executions[action.request_id] = (stats.executions[action.request_id] ?? 0) + 1;
  if (action.callback_url) {
    fetch(action.callback_url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => undefined);
  }
}

function start(request) {
  const body = request.body ?? {};
  const action_id = randomUUID();
  const action = {
    request_id: request.request_id,
    callback_url: request.callback_url,
    status: { action_id, status: 'ACTIVE', display_status: 'ACTIVE', details: {}, label: request.label, start_time: now() },
  };
  actions.set(action_id, action);
  byRequest.set(request.request_id, action_id);
  stats.started++;
  const seconds = Number(body.seconds ?? (body.op === 'echo' ? 0 : 0.5));
  if (body.op === 'echo') finish(action, 'SUCCEEDED', body);
  else if (body.op === 'fail') action.timer = setTimeout(() => finish(action, 'FAILED', { message: body.message ?? 'the example provider was asked to fail' }), seconds * 1000);
  else action.timer = setTimeout(() => finish(action, 'SUCCEEDED', { value: body.value ?? null, slept_s: seconds }), seconds * 1000);
  return action;
}

function send(response, code, body) {
  const text = JSON.stringify(body);
  response.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => {
      text += chunk;
      if (text.length > 1 << 20) request.destroy(new Error('body too large'));
    });
    request.on('end', () => {
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch (error) {
        reject(error);
      }
    });
    request.on('error', reject);
  });
}

const server = createServer(async (request, response) => {
  const url = new URL(request.url ?? '/', 'http://provider');
  const parts = url.pathname.split('/').filter(Boolean);
  try {
    if (request.method === 'GET' && url.pathname === '/') {
      return send(response, 200, { title: 'Example action provider', synchronous: false, input_schema: { type: 'object', properties: { op: { enum: ['sleep', 'fail', 'echo'] } } } });
    }
    if (request.method === 'GET' && url.pathname === '/stats') return send(response, 200, stats);
    if (request.method === 'POST' && url.pathname === '/run') {
      const run = await readBody(request);
      if (typeof run.request_id !== 'string' || typeof run.body !== 'object' || run.body === null) {
        return send(response, 400, { message: 'a run request needs request_id (a string) and body (an object)' });
      }
      stats.run_requests++;
      const known = byRequest.get(run.request_id);
      const action = known ? actions.get(known) : start(run);
      return send(response, known ? 200 : 202, action.status);
    }
    const action = actions.get(parts[0] ?? '');
    if (!action) return send(response, 404, { message: `no action ${parts[0]}` });
    if (request.method === 'GET' && parts[1] === 'status') return send(response, 200, action.status);
    if (request.method === 'POST' && parts[1] === 'cancel') {
      if (action.status.status === 'ACTIVE') {
        stats.cancelled++;
        finish(action, 'FAILED', { message: 'cancelled' }, 'CANCELLED');
      }
      return send(response, 200, action.status);
    }
    if (request.method === 'POST' && parts[1] === 'release') {
      stats.released++;
      return send(response, 200, action.status);
    }
    return send(response, 404, { message: `no route ${request.method} ${url.pathname}` });
  } catch (error) {
    return send(response, 400, { message: String(error?.message ?? error) });
  }
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`action provider listening on http://127.0.0.1:${server.address().port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
