import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BwrapRuntime, chooseRuntime, ProcessRuntime } from '../src/runtimes/index.js';
import { WORKER_SCRIPT, workerLaunch } from '../src/worker-launch.js';

const worker = { command: '/usr/bin/python3', args: ['-B', 'w.py'], env: { PATH: '/usr/bin' }, cwd: '/elsewhere' };

test('the process runtime runs the worker as it is, in its scratch directory', () => {
  assert.deepEqual(new ProcessRuntime().wrap(worker, '/tmp/s'), { ...worker, cwd: '/tmp/s' });
});

test('the bwrap runtime builds a read-only root, hides the given directories and binds only the scratch directory', () => {
  const launch = new BwrapRuntime({ hide: ['/home/u/.funcx', '/etc/site'], network: true }).wrap(worker, '/tmp/s');
  assert.equal(launch.command, 'bwrap');
  assert.deepEqual(launch.args, [
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc',
    '--tmpfs', '/tmp',
    '--tmpfs', '/home/u/.funcx',
    '--tmpfs', '/etc/site',
    '--bind', '/tmp/s', '/tmp/s',
    '--chdir', '/tmp/s',
    '--unshare-pid', '--unshare-ipc', '--die-with-parent', '--new-session',
    '--', '/usr/bin/python3', '-B', 'w.py',
  ]);
  assert.deepEqual(launch.env, worker.env);
});

test('under bwrap, a worker program and Python environment that live in /tmp stay visible, read-only', () => {
  const inTmp = { command: '/tmp/clone/.venv/bin/python', args: ['-B', '/tmp/clone/endpoint/worker/funcx_worker.py'], env: {}, cwd: '/x' };
  const launch = new BwrapRuntime({ hide: ['/tmp/clone/home'], network: true }).wrap(inTmp, '/tmp/funcx-e/worker-1');
  const args = launch.args.join(' ');
  assert.match(args, /--tmpfs \/tmp .*--ro-bind \/tmp\/clone\/\.venv \/tmp\/clone\/\.venv --ro-bind \/tmp\/clone\/endpoint\/worker \/tmp\/clone\/endpoint\/worker --bind \/tmp\/funcx-e\/worker-1/);
  assert.doesNotMatch(args, /--ro-bind \/tmp\/clone\/\.venv\/bin /, 'a directory inside one bound already is not bound again');
  const hidden = new BwrapRuntime({ hide: ['/tmp/clone'], network: true }).wrap(inTmp, '/tmp/s');
  assert.doesNotMatch(hidden.args.join(' '), /--ro-bind \/tmp\/clone/, 'nothing inside a hidden directory is shown again');
});

test('the bwrap runtime without network unshares the network namespace', () => {
  const launch = new BwrapRuntime({ hide: [], network: false }).wrap(worker, '/tmp/s');
  assert.ok(launch.args.includes('--unshare-net'));
  assert.ok(launch.args.indexOf('--unshare-net') < launch.args.indexOf('--'));
});

test('a worker forks its own reaper and sets its limits unless the runtime keeps its process tree', () => {
  const plain = workerLaunch({ python: 'python3', scratch: '/tmp/s', rlimits: { memoryMb: 512, processes: 20 } });
  assert.deepEqual(plain.args, [
    '-B', WORKER_SCRIPT, '--scratch', '/tmp/s', '--value-depth', '62', '--display-depth', '61',
    '--memory-mb', '512', '--processes', '20', '--reaper',
  ]);
  const sandboxed = workerLaunch({ python: 'python3', scratch: '/tmp/s', runtime: new BwrapRuntime({ hide: [], network: true }) });
  assert.ok(!sandboxed.args.includes('--reaper'));
  assert.equal(sandboxed.env.HOME, '/tmp/s');
});

const missing = () => 'bwrap is not installed';
const works = () => undefined;

test('sandbox: auto uses bubblewrap where it works', () => {
  assert.equal(chooseRuntime({ sandbox: 'auto', public: true, network: true, hide: [] }, works).runtime.kind, 'bwrap');
});

test('sandbox: auto without bubblewrap runs a private endpoint unsandboxed and says so', () => {
  const { runtime, note } = chooseRuntime({ sandbox: 'auto', public: false, network: true, hide: [] }, missing);
  assert.equal(runtime.kind, 'process');
  assert.match(note!, /no sandbox \(bwrap is not installed\)/);
});

test('a public endpoint with no sandbox available refuses to start unless sandbox: none is written', () => {
  assert.throws(
    () => chooseRuntime({ sandbox: 'auto', public: true, network: true, hide: [] }, missing),
    /the endpoint is public .* no sandbox is available \(bwrap is not installed\): install bubblewrap .*or write "sandbox: none" in config.yaml/,
  );
  const explicit = chooseRuntime({ sandbox: 'none', public: true, network: true, hide: [] }, missing);
  assert.equal(explicit.runtime.kind, 'process');
  assert.match(explicit.note!, /every user's tasks run unsandboxed/);
});

test('sandbox: bwrap where bubblewrap cannot run refuses to start with what to do', () => {
  assert.throws(
    () => chooseRuntime({ sandbox: 'bwrap', public: false, network: true, hide: [] }, missing),
    /sandbox: bwrap, but bwrap is not installed: install bubblewrap/,
  );
});
