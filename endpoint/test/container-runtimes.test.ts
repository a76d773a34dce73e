import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { makeTempDir, removeTempDirs } from '@funcx/testing';
import {
  ApptainerRuntime,
  BwrapImageRuntime,
  containerRuntimeProblem,
  CustomRuntime,
  DockerRuntime,
  parseCommandTemplate,
  PodmanHpcRuntime,
  PodmanRuntime,
  ShifterRuntime,
  SingularityRuntime,
  writePodmanConfig,
  type ContainerSpec,
} from '../src/runtimes/index.js';
import { containerLaunch, WORKER_SCRIPT } from '../src/worker-launch.js';

after(removeTempDirs);

/** A worker whose paths and image hold what a shell would split or expand: each must stay one argv entry. */
const spec: ContainerSpec = {
  image: 'registry.example.org/lab/python:3.11-$(id)',
  mounts: [
    { source: '/opt/funcx worker', target: '/funcx/worker', readOnly: true },
    { source: '/tmp/funcx-1/worker-a b', target: '/tmp/funcx-1/worker-a b', readOnly: false },
  ],
  command: ['python3', '-B', '/funcx/worker/funcx_worker.py', '--scratch', '/tmp/funcx-1/worker-a b', '--reaper'],
  env: { HOME: '/tmp/funcx-1/worker-a b', TMPDIR: '/tmp/funcx-1/worker-a b', API_KEY: 'secret value', LANG: 'C.UTF-8' },
  workdir: '/tmp/funcx-1/worker-a b',
  name: 'funcx-52c0f0d9-0a1b2c3d4e5f',
  pidFile: '/tmp/funcx-1/worker-a b.pid',
  labels: { 'funcx.endpoint': '52c0f0d9-f50a-4be3-9dd6-e246fc0bc0a5' },
};
const clientEnv = { PATH: '/usr/bin:/bin', HOME: '/root' };
const options = { network: 'none', options: ['--pull=never'] };

/** No argv entry holds a secret, and the image and every path are single entries. */
function assertSafe(args: string[]): void {
  assert.ok(!args.some((arg) => arg.includes('secret value')), 'no variable value on the command line');
  assert.equal(args.filter((arg) => arg === spec.image || arg.endsWith(spec.image)).length, 1, 'the image is one entry');
}

describe('container runtimes build their command lines', () => {
  test('podman: a read-only, capability-free container with fds 3 and 4, passthrough stdio and a pid file', () => {
    const launch = new PodmanRuntime(options, { CONTAINERS_CONF: '/e/podman/containers.conf' }).launch(spec, clientEnv);
    assert.equal(launch.command, 'podman');
    assert.deepEqual(launch.args, [
      'run', '--rm', '--name', spec.name,
      '--label', 'funcx.endpoint=52c0f0d9-f50a-4be3-9dd6-e246fc0bc0a5',
      '--read-only', '--cap-drop', 'all', '--security-opt', 'no-new-privileges',
      '--network', 'none',
      '--volume', '/opt/funcx worker:/funcx/worker:ro',
      '--volume', '/tmp/funcx-1/worker-a b:/tmp/funcx-1/worker-a b:rw',
      '--workdir', '/tmp/funcx-1/worker-a b',
      '--env', 'HOME=/tmp/funcx-1/worker-a b', '--env', 'TMPDIR=/tmp/funcx-1/worker-a b', '--env', 'API_KEY', '--env', 'LANG',
      '--preserve-fds', '2', '--log-driver', 'passthrough', '--pidfile', spec.pidFile,
      '--pull=never',
      '--', spec.image, ...spec.command,
    ]);
    assertSafe(launch.args);
    assert.equal(launch.env.API_KEY, 'secret value', 'the client hands the value on from its environment');
    assert.equal(launch.env.CONTAINERS_CONF, '/e/podman/containers.conf');
    assert.equal(launch.env.HOME, '/root', "the client's own HOME");
    assert.equal(launch.channel, undefined, 'fds 3 and 4');
    assert.deepEqual(launch.container, {
      image: spec.image,
      name: spec.name,
      detached: true,
      pidFile: spec.pidFile,
      removeCommand: ['podman', 'rm', '--force', '--time', '0', '--ignore', spec.name],
      env: { ...clientEnv, CONTAINERS_CONF: '/e/podman/containers.conf' },
    });
  });

  test('podman-hpc: podman\'s command line under its own name, with none of the endpoint\'s podman settings', () => {
    const launch = new PodmanHpcRuntime(options).launch(spec, clientEnv);
    assert.equal(launch.command, 'podman-hpc');
    assert.ok(launch.args.includes('--preserve-fds'));
    assert.equal(launch.env.CONTAINERS_CONF, undefined);
  });

  test('docker: the worker speaks over stdin and stdout, and the daemon finds and removes the container by name', () => {
    const launch = new DockerRuntime({ network: 'host', options: [] }).launch(spec, clientEnv);
    assert.equal(launch.command, 'docker');
    assert.equal(launch.channel, 'stdio');
    assert.ok(!launch.args.includes('--preserve-fds'));
    assert.deepEqual(launch.args.slice(launch.args.indexOf('--')), ['--', spec.image, ...spec.command, '--stdio']);
    assert.ok(launch.args.includes('--interactive'));
    assert.deepEqual(launch.container?.pidCommand, ['docker', 'inspect', '--format', '{{.State.Pid}}', spec.name]);
    assert.deepEqual(launch.container?.removeCommand, ['docker', 'rm', '--force', spec.name]);
    assertSafe(launch.args);
  });

  test('apptainer: exec --containall --cleanenv, variables as APPTAINERENV_*, HOME through --home', () => {
    const launch = new ApptainerRuntime(options).launch(spec, clientEnv);
    assert.equal(launch.command, 'apptainer');
    assert.deepEqual(launch.args, [
      'exec', '--containall', '--cleanenv', '--home', spec.workdir, '--pwd', spec.workdir,
      '--bind', '/opt/funcx worker:/funcx/worker:ro',
      '--bind', '/tmp/funcx-1/worker-a b:/tmp/funcx-1/worker-a b:rw',
      '--net', '--network', 'none',
      '--pull=never', spec.image, ...spec.command,
    ]);
    assert.equal(launch.env.APPTAINERENV_API_KEY, 'secret value');
    assert.equal(launch.env.APPTAINERENV_HOME, undefined, 'apptainer refuses APPTAINERENV_HOME');
    assert.equal(launch.container?.detached, false, 'the worker is a child of apptainer');
    assertSafe(launch.args);
  });

  test('singularity: apptainer\'s command line with SINGULARITYENV_*', () => {
    const launch = new SingularityRuntime({ network: 'host', options: [] }).launch(spec, clientEnv);
    assert.equal(launch.command, 'singularity');
    assert.equal(launch.env.SINGULARITYENV_API_KEY, 'secret value');
    assert.ok(!launch.args.includes('--net'), 'the host network');
  });

  test('apptainer finds an image in container_image_dir by its reference, with or without .sif', () => {
    const dir = makeTempDir('funcx-sif-');
    mkdirSync(join(dir, 'lab'));
    writeFileSync(join(dir, 'lab', 'python.sif'), '');
    const runtime = new ApptainerRuntime({ ...options, imageDir: dir });
    assert.equal(runtime.imageProblem('lab/python'), undefined);
    assert.ok(runtime.launch({ ...spec, image: 'lab/python' }, clientEnv).args.includes(join(dir, 'lab', 'python.sif')));
    assert.equal(runtime.imageProblem('docker://python:3.11'), undefined, 'a scheme goes to apptainer as it is');
    assert.match(runtime.imageProblem('lab/missing')!, /no image lab\/missing in .* \(container_image_dir\)/);
    assert.match(runtime.imageProblem('lab/../../etc/passwd')!, /no image/, 'nothing outside the directory');
  });

  test('shifter: --image=docker:IMAGE, the mounts as --volume, the worker\'s variables in its environment', () => {
    const launch = new ShifterRuntime({ network: 'host', options: [] }).launch(spec, clientEnv);
    assert.equal(launch.command, 'shifter');
    assert.deepEqual(launch.args, [
      `--image=docker:${spec.image}`, `--workdir=${spec.workdir}`,
      '--volume=/opt/funcx worker:/funcx/worker', '--volume=/tmp/funcx-1/worker-a b:/tmp/funcx-1/worker-a b',
      '--', ...spec.command,
    ]);
    assert.equal(launch.env.API_KEY, 'secret value');
    assert.equal(launch.env.PATH, clientEnv.PATH);
  });

  test('a path with ":" cannot be written as a volume and is refused, not split', () => {
    const bad = { ...spec, mounts: [{ source: '/data/a:b', target: '/x', readOnly: true }] };
    assert.throws(() => new PodmanRuntime(options).launch(bad, clientEnv), /podman cannot bind-mount "\/data\/a:b"/);
  });

  test('bwrap over a root file system: an empty read-only root rebuilt from the image, fresh /dev, /proc and /tmp', () => {
    const dir = makeTempDir('funcx-rootfs-');
    const root = join(dir, 'rootfs');
    for (const sub of ['usr/bin', 'etc', 'dev', 'proc', 'tmp']) mkdirSync(join(root, sub), { recursive: true });
    symlinkSync('usr/bin', join(root, 'bin'));
    mkdirSync(join(dir, 'images', 'lab'), { recursive: true });
    symlinkSync(root, join(dir, 'images', 'lab', 'py:1'));
    const runtime = new BwrapImageRuntime({ network: 'none', options: [], imageDir: join(dir, 'images') });
    const launch = runtime.launch({ ...spec, image: 'lab/py:1' }, clientEnv);
    const base = join(dir, 'images', 'lab', 'py:1');
    assert.equal(launch.command, 'bwrap');
    assert.deepEqual(launch.args, [
      '--tmpfs', '/',
      '--symlink', 'usr/bin', '/bin',
      '--ro-bind', join(base, 'etc'), '/etc',
      '--ro-bind', join(base, 'usr'), '/usr',
      '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp',
      '--ro-bind', '/opt/funcx worker', '/funcx/worker',
      '--bind', '/tmp/funcx-1/worker-a b', '/tmp/funcx-1/worker-a b',
      '--remount-ro', '/', '--chdir', spec.workdir,
      '--unshare-pid', '--unshare-ipc', '--die-with-parent', '--new-session', '--unshare-net',
      '--', ...spec.command,
    ]);
    assert.equal(launch.env.PATH, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', "an image's usual PATH");
    assert.equal(launch.env.API_KEY, 'secret value');
    assert.match(runtime.imageProblem('lab/none')!, /no root file system for image lab\/none/);
  });
});

describe('the custom runtime fills its template', () => {
  test('each placeholder becomes whole argv entries, none through a shell', () => {
    const runtime = new CustomRuntime(
      ['podman', 'run', '--rm', '--name={name}', '{mounts}', '{env}', '{options}', '-w', '{workdir}', '{image}', '{command}'],
      options,
    );
    const argv = runtime.expand(spec);
    assert.deepEqual(argv, [
      'podman', 'run', '--rm', `--name=${spec.name}`,
      '-v', '/opt/funcx worker:/funcx/worker:ro', '-v', '/tmp/funcx-1/worker-a b:/tmp/funcx-1/worker-a b:rw',
      '-e', 'HOME', '-e', 'TMPDIR', '-e', 'API_KEY', '-e', 'LANG',
      '--pull=never',
      '-w', spec.workdir, spec.image, ...spec.command,
    ]);
    assertSafe(argv);
    const launch = runtime.launch(spec, clientEnv);
    assert.equal(launch.command, 'podman');
    assert.equal(launch.env.API_KEY, 'secret value');
    assert.equal(launch.container?.detached, false);
  });

  test('a flag after the placeholder name replaces -v and -e; a flag ending in "=" is joined to each value', () => {
    const runtime = new CustomRuntime('tool exec {mounts:--bind} {env:--env=} --image=docker:{image} -- {command}', { network: 'host', options: [] });
    const argv = runtime.expand(spec);
    assert.deepEqual(argv.slice(0, 6), ['tool', 'exec', '--bind', '/opt/funcx worker:/funcx/worker:ro', '--bind', '/tmp/funcx-1/worker-a b:/tmp/funcx-1/worker-a b:rw']);
    assert.ok(argv.includes('--env=API_KEY'));
    assert.ok(argv.includes(`--image=docker:${spec.image}`));
  });

  test('{pidfile} makes the container one the daemon measures and kills by its host pid', () => {
    const launch = new CustomRuntime('podman run --pidfile {pidfile} {image} {command}', { network: 'host', options: [] }).launch(spec, clientEnv);
    assert.ok(launch.args.includes(spec.pidFile));
    assert.equal(launch.container?.detached, true);
    assert.equal(launch.container?.pidFile, spec.pidFile);
  });

  test('"{{" and "}}" are braces', () => {
    const argv = new CustomRuntime(['tool', '--fmt={{x}}', '{image}', '{command}'], { network: 'host', options: [] }).expand(spec);
    assert.equal(argv[1], '--fmt={x}');
  });

  test('a template without {command} or {image}, with an unknown placeholder, or with a list placeholder inside an entry is refused', () => {
    assert.throws(() => parseCommandTemplate('podman run {image}'), /must contain \{command\}/);
    assert.throws(() => parseCommandTemplate('podman run {command}'), /must contain \{image\}/);
    assert.throws(() => parseCommandTemplate('podman run {imag} {image} {command}'), /unknown placeholder in "\{imag\}"/);
    assert.throws(() => parseCommandTemplate('podman run --x={mounts} {image} {command}'), /\{mounts\} must be an argument of its own/);
    assert.throws(() => new CustomRuntime('run {image} {command}', options), /container_options are set but container_command has no \{options\}/);
  });
});

describe('what a container runtime needs on this machine', () => {
  test('a runtime whose program is not on PATH says which one and what to install', () => {
    const empty = makeTempDir('funcx-path-');
    assert.equal(
      containerRuntimeProblem(new PodmanRuntime(options), empty),
      "podman is not installed (not found on PATH): install it with apt-get install podman runc (or your distribution's podman package)",
    );
    assert.match(containerRuntimeProblem(new ApptainerRuntime(options), empty)!, /^apptainer is not installed .*apptainer\.org/);
  });

  test('podman without runc is refused with what to install', () => {
    const dir = makeTempDir('funcx-path-');
    writeFileSync(join(dir, 'podman'), '#!/bin/sh\n');
    chmodSync(join(dir, 'podman'), 0o755);
    assert.match(containerRuntimeProblem(new PodmanRuntime(options), dir)!, /runc, the OCI runtime .* apt-get install runc/);
  });

  test("the endpoint's podman configuration: runc, explicit ulimits, overlay storage in the endpoint's folder, a short run directory", () => {
    const endpointDir = join(makeTempDir('funcx-podman-config-'), 'endpoints', 'an-endpoint-with-a-rather-long-name');
    const config = writePodmanConfig(endpointDir, ['/var/cache/funcx/podman-store']);
    rmSync(config.runDir, { recursive: true, force: true });
    const containers = readFileSync(config.containersConf, 'utf8');
    const storage = readFileSync(config.storageConf, 'utf8');
    assert.match(containers, /runtime = "runc"/);
    assert.match(containers, /default_ulimits = \["nofile=20000:20000", "nproc=8192:8192"\]/);
    assert.match(containers, new RegExp(`tmp_dir = "${config.runDir}/tmp"`));
    assert.match(storage, /driver = "overlay"/);
    assert.match(storage, new RegExp(`graphroot = "${join(endpointDir, 'podman', 'storage')}"`));
    assert.match(storage, /additionalimagestores = \["\/var\/cache\/funcx\/podman-store"\]/);
    assert.ok(config.runDir.length <= 40, `${config.runDir} leaves room for conmon's socket paths`);
    assert.deepEqual(config.env, { CONTAINERS_CONF: config.containersConf, CONTAINERS_STORAGE_CONF: config.storageConf });
  });

  test('a worker in a container runs the mounted worker program with python3 from the image, and no host PATH', () => {
    const launch = containerLaunch({
      runtime: new PodmanRuntime(options),
      image: 'localhost/funcx-python:bookworm',
      scratch: '/tmp/s',
      name: 'funcx-x',
      pidFile: '/tmp/s.pid',
      labels: {},
      daemonEnv: { PATH: '/root/.local/bin:/usr/bin', FUNCX_HOME: '/root/.funcx', LANG: 'C.UTF-8' },
      env: { set: { OMP_NUM_THREADS: '1' } },
      rlimits: { memoryMb: 512 },
    });
    const image = launch.args.indexOf('localhost/funcx-python:bookworm');
    assert.deepEqual(launch.args.slice(image + 1), [
      'python3', '-B', '/funcx/worker/funcx_worker.py', '--scratch', '/tmp/s', '--value-depth', '62', '--display-depth', '61',
      '--memory-mb', '512', '--reaper',
    ]);
    assert.ok(launch.args.includes(`${WORKER_SCRIPT.slice(0, -'/funcx_worker.py'.length)}:/funcx/worker:ro`));
    const passed = launch.args.filter((_, i) => launch.args[i - 1] === '--env');
    assert.deepEqual(passed.sort(), ['HOME=/tmp/s', 'LANG', 'MPLBACKEND', 'OMP_NUM_THREADS', 'PYTHONUNBUFFERED', 'TMPDIR=/tmp/s']);
    assert.ok(!launch.args.some((arg) => arg.includes('.funcx')), 'FUNCX_HOME is neither mounted nor passed');
  });
});
