import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bin, cleanup, makeTempDir, startHub, type HubProcess } from '@funcx/testing';
import { parse } from 'yaml';
import { isAlive } from '../src/daemon-process.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `funcx-endpoint ARGS` to its end with this environment. */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin.endpoint, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** FUNCX_HOME set, FUNCX_HUB_URL / FUNCX_TOKEN only when given: the CLI must find them itself. */
function cleanEnv(funcxHome: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FUNCX_HOME: funcxHome, ...extra };
  if (!('FUNCX_HUB_URL' in extra)) delete env.FUNCX_HUB_URL;
  if (!('FUNCX_TOKEN' in extra)) delete env.FUNCX_TOKEN;
  return env;
}

async function expectError(args: string[], env: NodeJS.ProcessEnv, message: RegExp): Promise<void> {
  const run = await cli(args, env);
  assert.notEqual(run.code, 0, `${args.join(' ')} should fail`);
  assert.match(run.stderr, message, `${args.join(' ')}: ${run.stderr}`);
}

describe('funcx-endpoint without a hub', () => {
  const home = makeTempDir('funcx-endpoint-cli-');
  const env = cleanEnv(home);
  after(cleanup);

  test('an endpoint that was never configured is named with the command that configures it', async () => {
    for (const command of ['start', 'stop', 'status']) {
      await expectError([command, 'ghost'], env, /endpoint "ghost" is not configured .*run "funcx-endpoint configure ghost" first/);
    }
  });

  test('list with no endpoints says how to create one', async () => {
    const run = await cli(['list'], env);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /no endpoints configured \(create one with: funcx-endpoint configure NAME\)/);
  });

  test('configure rejects each bad flag with what to change', async () => {
    const hub = ['--hub', 'http://127.0.0.1:9', '--token', 't'];
    await expectError(['configure', 'no/slash', ...hub], env, /"no\/slash" is not a valid endpoint name/);
    await expectError(['configure', 'a', ...hub, '--workers', 'many'], env, /--workers must be a whole number from 1 to 1024/);
    await expectError(['configure', 'a', ...hub, '--location', '91,0'], env, /--location\.lat must be a number from -90 to 90/);
    await expectError(['configure', 'a', ...hub, '--python', '/no/such/python'], env, /--python \/no\/such\/python: cannot run it/);
    await expectError(['configure', 'a', '--hub', 'localhost:8470', '--token', 't'], env, /--hub must start with http:\/\/ or https:\/\//);
    await expectError(['configure', 'a'], env, /no hub URL: pass --hub URL, set FUNCX_HUB_URL/);
    await expectError(['configure', 'a', '--hub', 'http://127.0.0.1:9'], env, /no user token: pass --token, set FUNCX_TOKEN/);
    await expectError(['configure', 'a', ...hub], env, /could not reach the hub at http:\/\/127\.0\.0\.1:9 .*check that the hub runs/);
    await expectError(['launch', 'a'], env, /unknown command 'launch'/);
    await expectError(['configure', 'a', ...hub, '--container-runtime', 'lxc'], env, /--container-runtime: container_runtime must be one of none, podman/);
    await expectError(['configure', 'a', ...hub, '--container-image', 'localhost/x'], env, /container_image needs a container_runtime/);
    await expectError(['configure', 'a', ...hub, '--container-runtime', 'podman', '--warm-mode', 'lukewarm'], env, /--warm-mode: warm_mode must be soft/);
    await expectError(['configure', 'a', ...hub, '--container-runtime', 'podman', '--max-warm-containers', '0'], env, /--max-warm-containers: max_warm_containers must be a whole number/);
  });
});

describe('funcx-endpoint against a real hub', () => {
  let hub: HubProcess;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    hub = await startHub({ funcxHome: makeTempDir('funcx-endpoint-cli-hub-') });
    env = cleanEnv(hub.funcxHome, { FUNCX_START_TIMEOUT_S: '60' });
  });
  after(async () => {
    await cli(['stop', 'lab'], env);
    await cleanup();
  });

  test('configure registers the endpoint and writes config.yaml readable only by its owner', async () => {
    const run = await cli(['configure', 'lab', '--workers', '1', '--location', '41.71,-87.98', '--site', 'Argonne'], env);
    assert.equal(run.code, 0, run.stderr);
    const path = join(hub.funcxHome, 'endpoints', 'lab', 'config.yaml');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const config = parse(readFileSync(path, 'utf8'));
    assert.equal(config.hub_url, hub.url);
    assert.equal(config.workers, 1);
    assert.deepEqual(config.location, { lat: 41.71, lon: -87.98 });
    assert.match(run.stdout, new RegExp(`endpoint lab configured \\(id ${config.endpoint_id}\\)`));

    const again = await cli(['configure', 'lab', '--site', 'Argonne (laptop)'], env);
    assert.equal(again.code, 0, again.stderr);
    const updated = parse(readFileSync(path, 'utf8'));
    assert.equal(updated.endpoint_id, config.endpoint_id, 're-running configure keeps the endpoint id');
    assert.notEqual(updated.endpoint_token, config.endpoint_token, 'and gets a new token');
    assert.equal(updated.workers, 1, 'flags not given keep their value');
    assert.equal(updated.site, 'Argonne (laptop)');
  });

  test('configure writes the container flags, and notes a runtime that is not installed', async () => {
    const run = await cli(
      ['configure', 'box', '--container-runtime', 'apptainer', '--container-image', 'docker://python:3.11',
        '--max-warm-containers', '1', '--container-idle-s', '30', '--warm-mode', 'hard'],
      env,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /note: container_runtime apptainer: apptainer is not installed \(not found on PATH\): install apptainer/);
    const config = parse(readFileSync(join(hub.funcxHome, 'endpoints', 'box', 'config.yaml'), 'utf8'));
    assert.equal(config.container_runtime, 'apptainer');
    assert.equal(config.container_image, 'docker://python:3.11');
    assert.equal(config.max_warm_containers, 1);
    assert.equal(config.container_idle_s, 30);
    assert.equal(config.warm_mode, 'hard');
    assert.match((await cli(['status', 'box'], env)).stdout, /containers:\s+apptainer, at most 1 warm, stopped after 30 s idle, hard mode/);
    const again = await cli(['configure', 'box', '--warm-mode', 'soft'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(parse(readFileSync(join(hub.funcxHome, 'endpoints', 'box', 'config.yaml'), 'utf8')).container_image, 'docker://python:3.11', 'kept');
  });

  test('start returns once connected, the endpoint runs a task, stop ends it', async () => {
    const started = await cli(['start', 'lab'], env);
    assert.equal(started.code, 0, started.stderr);
    const pid = Number(/endpoint lab started \(pid (\d+)\)/.exec(started.stdout)?.[1]);
    assert.ok(pid > 0, started.stdout);
    const supervisor = Number(/its supervisor \(pid (\d+)\) starts it again if it dies/.exec(started.stdout)?.[1]);
    assert.ok(supervisor > 0 && isAlive(supervisor), started.stdout);

    const view = await fetch(`${hub.url}/v1/endpoints/lab`, { headers: { authorization: `Bearer ${hub.token}` } });
    assert.equal(((await view.json()) as { status: { online: boolean } }).status.online, true);

    await expectError(['start', 'lab'], env, new RegExp(`endpoint lab is already running \\(pid ${pid}\\)`));
    assert.match((await cli(['list'], env)).stdout, /^lab\s+[0-9a-f-]{36}\s+running$/m);
    assert.match((await cli(['status', 'lab'], env)).stdout, new RegExp(`state:\\s+running \\(pid ${pid}\\)`));
    assert.doesNotMatch((await cli(['status', 'lab'], env)).stdout, /token/);

    const submitted = await fetch(`${hub.url}/v1/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'print("on the endpoint")\n6 * 7', endpoint: 'lab' }),
    });
    const { task_id } = (await submitted.json()) as { task_id: string };
    let task: { state: string; result?: { value: unknown }; outputs: { text?: string }[] } | undefined;
    for (let i = 0; i < 600 && !['success', 'failed'].includes(task?.state ?? ''); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const response = await fetch(`${hub.url}/v1/tasks/${task_id}`, { headers: { authorization: `Bearer ${hub.token}` } });
      task = (await response.json()) as typeof task;
    }
    assert.equal(task?.state, 'success');
    assert.equal(task?.result?.value, 42);
    assert.equal(task?.outputs.map((output) => output.text).join(''), 'on the endpoint\n');

    const stopped = await cli(['stop', 'lab'], env);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /endpoint lab stopped/);
    assert.equal(isAlive(pid), false, 'the daemon is gone');
    assert.equal(isAlive(supervisor), false, 'and its supervisor');
    assert.match((await cli(['list'], env)).stdout, /^lab\s+[0-9a-f-]{36}\s+stopped$/m);
    await expectError(['stop', 'lab'], env, /endpoint lab is not running/);
  });

  test('start fails with the log tail when the hub cannot be reached', async () => {
    await hub.stop();
    try {
      // Long enough for the workers to start first on a loaded machine: the daemon dials the hub after them.
      const run = await cli(['start', 'lab'], { ...env, FUNCX_START_TIMEOUT_S: '8' });
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /endpoint lab did not start: it did not connect to the hub at .* within 8 s/);
      assert.match(run.stderr, /cannot reach the hub at/);
      assert.match((await cli(['list'], env)).stdout, /^lab\s+\S+\s+stopped$/m);
    } finally {
      await hub.start();
    }
  });
});
