import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { cleanup, configureEndpoint, makeTempDir, startEndpoint, startHub, waitFor, withTimeout } from '@funcx/testing';
import { HubClient } from '../src/hub-client.js';
import { workerPython } from './support/world.js';

after(cleanup);

test('a restarted hub keeps its functions and endpoints, and a task submitted while the endpoint was down completes', { timeout: 120_000 }, async () => {
  const hub = await startHub({ funcxHome: makeTempDir('funcx-home-') });
  const endpoint = await startEndpoint(hub, { name: 'durable', workers: 1, python: workerPython() });
  const client = new HubClient({ hubUrl: hub.url, token: hub.token });
  try {
    const { function_id } = await client.registerFunction({
      name: 'greet',
      language: 'python',
      entrypoint: 'greet',
      source: 'def greet(name):\n    return "hello " + name\n',
      description: 'says hello',
    });
    const before = await withTimeout(
      client.waitForTask((await client.submit({ function_id, endpoint: 'durable', args: ['before'] })).task_id),
      20_000,
      'the first task',
    );
    assert.equal(before.result?.value, 'hello before');

    await endpoint.stop();
    const { task_id } = await client.submit({ function_id, endpoint: 'durable', args: ['while down'] });
    await waitFor(async () => (await client.getTask(task_id)).state === 'waiting-for-endpoint', {
      timeoutMs: 10_000,
      what: 'the task to wait for its endpoint',
    });

    await hub.restart();

    const functions = await client.listFunctions();
    const greet = functions.find((f) => f.function_id === function_id);
    assert.ok(greet, 'the function survived the restart');
    assert.equal(greet.name, 'greet');
    assert.equal((await client.getFunction(function_id)).source, 'def greet(name):\n    return "hello " + name\n');
    const endpoints = await client.listEndpoints();
    assert.ok(endpoints.some((e) => e.endpoint_id === endpoint.endpointId && e.name === 'durable'));
    assert.equal((await client.getTask(task_id)).state, 'waiting-for-endpoint', 'the unfinished task survived');

    await endpoint.start();
    const done = await withTimeout(client.waitForTask(task_id), 30_000, 'the task submitted while the endpoint was down');
    assert.equal(done.state, 'success');
    assert.equal(done.result?.value, 'hello while down');
  } finally {
    client.close();
  }
});

test('a running endpoint reconnects to a restarted hub and takes new tasks', { timeout: 120_000 }, async () => {
  const hub = await startHub({ funcxHome: makeTempDir('funcx-home-') });
  const endpoint = await startEndpoint(hub, { name: 'steady', workers: 1, python: workerPython() });
  await hub.restart();
  const client = new HubClient({ hubUrl: hub.url, token: hub.token });
  try {
    await waitFor(async () => (await client.getEndpoint('steady')).status.online, {
      timeoutMs: 30_000,
      what: 'the endpoint to reconnect',
    });
    const { task_id } = await client.submit({ source: '"after restart"', endpoint: 'steady' });
    const done = await withTimeout(client.waitForTask(task_id), 20_000, 'the task after the restart', async () =>
      [
        `the task: ${JSON.stringify(await client.getTask(task_id))}`,
        `the endpoint: ${JSON.stringify((await client.getEndpoint('steady')).status)}`,
        `the hub's log:\n${hub.process.tail(40)}`,
        `the daemon's log:\n${endpoint.process?.tail(40)}`,
      ].join('\n'),
    );
    assert.equal(done.result?.value, 'after restart');
  } finally {
    client.close();
  }
});

test('a task followed across a hub restart still reports its output and result to the same HubClient', { timeout: 120_000 }, async () => {
  const hub = await startHub({ funcxHome: makeTempDir('funcx-home-') });
  await startEndpoint(hub, { name: 'steady', workers: 1, python: workerPython() });
  const client = new HubClient({ hubUrl: hub.url, token: hub.token });
  try {
    await client.connect();
    const states: string[] = [];
    client.onConnectionChange((state) => states.push(state));
    const source = 'import time\nprint("before", flush=True)\ntime.sleep(2)\nprint("after")\n"survived"';
    const { task_ids } = await client.submitLive([{ source, endpoint: 'steady' }]);
    let stdout = '';
    const final = new Promise<string>((resolve, reject) => {
      client.watchTask(task_ids[0], {
        onOutput: (output) => {
          if (output.output_type === 'stream') stdout += output.text;
        },
        onFinal: (event) => resolve(`${event.state} ${JSON.stringify(event.result?.value)}`),
        onError: reject,
      });
    });
    await waitFor(() => stdout.includes('before'), { timeoutMs: 15_000, what: 'the first line' });
    await hub.restart();
    assert.equal(await withTimeout(final, 40_000, 'the final event after the restart'), 'success "survived"');
    assert.equal(stdout, 'before\nafter\n');
    assert.ok(states.includes('connecting') && states.at(-1) === 'connected', `connection went ${states.join(' -> ')}`);
  } finally {
    client.close();
  }
});

test('a hub killed with SIGKILL keeps the functions and tasks it acknowledged', { timeout: 120_000 }, async () => {
  const hub = await startHub({ funcxHome: makeTempDir('funcx-home-') });
  const endpoint = await configureEndpoint(hub, { name: 'later', workers: 1, python: workerPython() });
  const client = new HubClient({ hubUrl: hub.url, token: hub.token });
  try {
    const { function_id } = await client.registerFunction({
      name: 'double',
      language: 'python',
      entrypoint: 'double',
      source: 'def double(x):\n    return 2 * x\n',
    });
    const { task_id } = await client.submit({ function_id, endpoint: 'later', args: [21] });
    await hub.kill9();
    await hub.start();
    assert.equal((await client.getFunction(function_id)).name, 'double');
    assert.equal((await client.getTask(task_id)).state, 'waiting-for-endpoint');
    await endpoint.start();
    const done = await withTimeout(client.waitForTask(task_id), 30_000, 'the task after the crash');
    assert.equal(done.result?.value, 42);
  } finally {
    client.close();
  }
});
