import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HubClient } from '@funcx/client';
import type { TaskOutput, TaskRecord } from '@funcx/protocol';
import { cleanup, finalRecord, makeTempDir, startEndpoint, startHub, wasmSource, type HubProcess } from '@funcx/testing';

const printed = (outputs: TaskOutput[], name: 'stdout' | 'stderr') =>
  outputs.map((output) => (output.output_type === 'stream' && output.name === name ? output.text : '')).join('');

/** wasm functions on a real hub and a real endpoint, their modules built from examples/wasm. */
describe('wasm functions at an endpoint', () => {
  let hub: HubProcess;
  let client: HubClient;
  const ids = new Map<string, string>();

  before(async () => {
    hub = await startHub({ funcxHome: makeTempDir('funcx-wasm-') });
    await startEndpoint(hub, { name: 'edge', workers: 1, config: { wasm_threads: 2, wasm_memory_mb: 32, wasm_time_limit_s: 30 } });
    client = new HubClient({ hubUrl: hub.url, token: hub.token });
    const modules: [string, string | undefined][] = [
      ['sum', undefined],
      ['add', 'add'],
      ['forever', undefined],
      ['grow', undefined],
      ['passwd', undefined],
      ['hello', undefined],
      ['fail', undefined],
      ['spin', 'spin'],
      ['trap', 'divide'],
    ];
    for (const [name, entrypoint] of modules) {
      const { function_id } = await client.registerFunction({ name, language: 'wasm', source: wasmSource(name), ...(entrypoint ? { entrypoint } : {}) });
      ids.set(name, function_id);
    }
  });
  after(async () => {
    client?.close();
    await cleanup();
  });

  const run = async (name: string, args: unknown[] = [], extra: object = {}): Promise<TaskRecord> => {
    const { task_id } = await client.submit({ endpoint: 'edge', function_id: ids.get(name)!, args: args as never, ...extra });
    return finalRecord(() => client.getTask(task_id), `task ${task_id} (${name})`, 30_000);
  };

  test('the endpoint says it runs wasm functions', async () => {
    const view = await client.getEndpoint('edge');
    assert.deepEqual(view.capabilities, { languages: ['python', 'wasm'], isolation: ['process'] });
  });

  test('a C command sums an array given as JSON on stdin; its last line is the value, stderr is streamed', async () => {
    const task = await run('sum', [[1, 2, 3.5], 4]);
    assert.equal(task.state, 'success', JSON.stringify(task.error));
    assert.equal(task.result?.value, 10.5);
    assert.equal(printed(task.outputs, 'stderr'), 'summed 4 numbers\n');
  });

  test('an exported function is called with numbers and returns a number', async () => {
    const task = await run('add', [2, 40]);
    assert.equal(task.state, 'success', JSON.stringify(task.error));
    assert.equal(task.result?.value, 42);
  });

  test('a loop that never ends is killed at its time limit, and the pool serves on', async () => {
    const [looped, spun] = await Promise.all([run('forever', [], { timeout_s: 1 }), run('spin', [], { timeout_s: 1 })]);
    for (const task of [looped, spun]) {
      assert.equal(task.state, 'failed');
      assert.equal(task.error?.ename, 'TimeoutError');
      assert.match(task.error!.evalue, /stopped at its time limit of 1 s \(the task's timeout_s\); the instance was terminated/);
    }
    assert.equal(printed(looped.outputs, 'stdout'), 'starting to loop\n', 'what it printed before it was stopped arrived');
    const after = await Promise.all([run('add', [1, 1]), run('add', [2, 2]), run('sum', [[5]])]);
    assert.deepEqual(after.map((task) => task.result?.value), [2, 4, 5]);
  });

  test('a loop sent together with quick tasks is stopped at its own time limit, and they all finish', async () => {
    // One batch: the threads run the quick ones and the loop one after another, their completions still on
    // their way while the loop runs. Were the loop stopped only at the endpoint's 30 s limit, the wait below
    // (15 s) would fail.
    const quick = Array.from({ length: 12 }, (_, i) => ({ endpoint: 'edge', function_id: ids.get('add')!, args: [i, 1] }));
    const { task_ids } = await client.submitLive([...quick, { endpoint: 'edge', function_id: ids.get('spin')!, timeout_s: 1 }, ...quick]);
    const tasks = await Promise.all(task_ids.map((id) => finalRecord(() => client.getTask(id), `task ${id}`, 15_000)));
    const loop = tasks[quick.length];
    assert.equal(loop.error?.ename, 'TimeoutError');
    assert.match(loop.error!.evalue, /time limit of 1 s \(the task's timeout_s\)/);
    const sums = tasks.filter((task) => task !== loop).map((task) => task.result?.value);
    assert.deepEqual(sums, [...quick, ...quick].map((task) => (task.args[0] as number) + 1));
  });

  test('growing memory past the cap fails with out-of-memory at the cap, and the pool serves on', async () => {
    const task = await run('grow');
    assert.equal(task.state, 'failed');
    assert.equal(task.error?.ename, 'WasmOutOfMemory');
    assert.match(task.error!.evalue, /of its cap of 32 MiB \(wasm_memory_mb\): it ran out of memory \(its last line on stderr: malloc failed after \d+ MiB\)/);
    const failedAt = Number(/after (\d+) MiB/.exec(task.error!.evalue)![1]);
    assert.ok(failedAt >= 24 && failedAt < 32, `malloc failed after ${failedAt} MiB, near the 32 MiB cap`);
    assert.equal((await run('add', [20, 22])).result?.value, 42);
  });

  test('a trap fails the task with the trap, naming the frame', async () => {
    const task = await run('trap', [1, 0]);
    assert.equal(task.state, 'failed');
    assert.equal(task.error?.ename, 'WasmTrap');
    assert.match(task.error!.evalue, /^the module trapped: divide by zero$/);
    assert.ok(task.error!.traceback.some((line) => /wasm-function/.test(line)), task.error!.traceback.join('\n'));
    assert.equal((await run('trap', [9, 3])).result?.value, 3);
  });

  test('opening /etc/passwd is denied, by any path and through a symlink; the scratch directory is writable; the environment is empty', async () => {
    const task = await run('passwd');
    assert.equal(task.state, 'success', JSON.stringify(task.error));
    assert.deepEqual(task.result?.value, { opened: 0, wrote_scratch: true, environ: 'empty' });
    const out = printed(task.outputs, 'stdout');
    assert.match(out, /^denied \/etc\/passwd: /m);
    assert.match(out, /^denied \.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd: /m);
    assert.match(out, /^denied \/scratch\/\.\.\/\.\.\/etc\/passwd: /m);
    assert.match(out, /^symlink Not supported$/m);
    assert.doesNotMatch(out, /READ/);
  });

  test('what a module prints is streamed: a line arrives before the task ends', async () => {
    const { task_id } = await client.submit({ endpoint: 'edge', function_id: ids.get('hello')! });
    const arrivals: string[] = [];
    const task = await new Promise<TaskRecord>((resolve, reject) => {
      const stop = client.watchTask(task_id, {
        onOutput: (output) => arrivals.push(output.output_type === 'stream' ? output.text : 'display'),
        onFinal: () => {
          arrivals.push('final');
          stop();
          client.getTask(task_id).then(resolve, reject);
        },
        onError: reject,
      });
    });
    assert.equal(task.state, 'success', JSON.stringify(task.error));
    assert.deepEqual(task.result?.value, { greeted: true });
    assert.ok(arrivals.indexOf('hello from WebAssembly\n') >= 0, arrivals.join('|'));
    assert.ok(arrivals.indexOf('hello from WebAssembly\n') < arrivals.indexOf('final'), 'the first line came before the end');
    assert.equal(printed(task.outputs, 'stderr'), 'a line on stderr\n');
    assert.match(printed(task.outputs, 'stdout'), /^hello from WebAssembly\nafter a pause\n\{"greeted": true\}\n$/);
  });

  test('a command that exits non-zero fails with its code and its last words on stderr', async () => {
    const task = await run('fail');
    assert.equal(task.error?.ename, 'WasmExit');
    assert.equal(task.error?.evalue, 'the module exited with code 3 (its last line on stderr: bad input: nothing to do)');
  });

  test('arguments an export cannot take fail the task with what to give instead', async () => {
    const list = await run('add', [[1], 2]);
    assert.equal(list.error?.ename, 'WasmArgumentError');
    assert.match(list.error!.evalue, /argument 0 is a list; an exported function takes numbers: to pass other values, build a command/);
    const count = await run('add', [1]);
    assert.match(count.error!.evalue, /the exported function add takes 2 argument\(s\); the task gave 1/);
    const { task_id } = await client.submit({ endpoint: 'edge', function_id: ids.get('sum')!, kwargs: { n: 1 } });
    const kw = await client.waitForTask(task_id);
    assert.match(kw.error!.evalue, /a wasm function takes positional arguments only; the task gave keyword arguments \(n\)/);
  });
});
