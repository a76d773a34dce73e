import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig, parseLocation, validateName } from '../src/config.js';
import { resolveLimits } from '../src/config-workers.js';

const VALID = `
name: local
endpoint_id: 52c0f0d9-f50a-4be3-9dd6-e246fc0bc0a5
hub_url: http://127.0.0.1:8470/
endpoint_token: fxe_secret
workers: 4
location: { lat: 41.71, lon: -87.98 }
site: Argonne (laptop)
`;

function withLine(line: string, replacing?: string): string {
  return replacing ? VALID.replace(new RegExp(`^${replacing}:.*$`, 'm'), line) : VALID + line + '\n';
}

test('a complete config.yaml is read with defaults filled in', () => {
  const config = parseConfig(VALID, 'config.yaml');
  assert.deepEqual(config, {
    name: 'local',
    endpoint_id: '52c0f0d9-f50a-4be3-9dd6-e246fc0bc0a5',
    hub_url: 'http://127.0.0.1:8470',
    endpoint_token: 'fxe_secret',
    workers: 4,
    python: 'python3',
    provider: 'local',
    location: { lat: 41.71, lon: -87.98 },
    site: 'Argonne (laptop)',
  });
});

test('each bad field is named with what to put there', () => {
  const cases: [string, RegExp][] = [
    [withLine('workers: 0', 'workers'), /workers must be a whole number from 1 to 1024 \(got 0\)/],
    [withLine('workers: two', 'workers'), /workers must be a whole number/],
    [withLine('location: { lat: 95, lon: 0 }', 'location'), /location\.lat must be a number from -90 to 90 \(got 95\)/],
    [withLine('location: here', 'location'), /location must have lat and lon/],
    [withLine('hub_url: ftp://hub', 'hub_url'), /hub_url must start with http:\/\/ or https:\/\//],
    [withLine('endpoint_id: 42', 'endpoint_id'), /endpoint_id is missing/],
    [withLine('endpoint_id: not-a-uuid', 'endpoint_id'), /endpoint_id must be the UUID the hub gave/],
    [withLine('provider: condor'), /provider "condor" is not available; use one of: local, slurm, pbs, kubernetes/],
    [withLine('colour: blue'), /unknown field colour \(known fields: name, endpoint_id/],
    [VALID.replace(/^endpoint_token:.*$/m, ''), /endpoint_token is missing; run "funcx-endpoint configure NAME"/],
    ['- just\n- a list\n', /must be a YAML mapping of fields/],
    ['name: [unclosed', /is not valid YAML/],
  ];
  for (const [text, expected] of cases) {
    assert.throws(() => parseConfig(text, 'config.yaml'), expected, text);
  }
});

test('--location takes LAT,LON and says so when it gets something else', () => {
  assert.deepEqual(parseLocation('41.71, -87.98'), { lat: 41.71, lon: -87.98 });
  assert.throws(() => parseLocation('chicago'), /--location must be LAT,LON in degrees, e.g. --location 41.71,-87.98/);
  assert.throws(() => parseLocation('10,200'), /--location\.lon must be a number from -180 to 180 \(got 200\)/);
});

test('endpoint names are folder-safe', () => {
  assert.equal(validateName('cloud-vm_2.a'), 'cloud-vm_2.a');
  for (const name of ['', '../etc', 'has space', '-dash', 'x'.repeat(65)]) {
    assert.throws(() => validateName(name), /is not a valid endpoint name/, name);
  }
});

test('the fields of how workers run are read as written', () => {
  const text =
    VALID +
    [
      'public: true',
      'sandbox: bwrap',
      'sandbox_network: false',
      'worker_env: { OMP_NUM_THREADS: 1, SITE: lab }',
      'env_passthrough: [CUDA_VISIBLE_DEVICES]',
      'limits: { memory_mb: 2048, cpu_s: unlimited }',
      'allowed_functions: [0f7d3c1e-4b1a-4c3e-9a8b-2d6f5e4c3b2a]',
    ].join('\n');
  const config = parseConfig(text, 'config.yaml');
  assert.equal(config.public, true);
  assert.equal(config.sandbox, 'bwrap');
  assert.equal(config.sandbox_network, false);
  assert.deepEqual(config.worker_env, { OMP_NUM_THREADS: '1', SITE: 'lab' });
  assert.deepEqual(config.env_passthrough, ['CUDA_VISIBLE_DEVICES']);
  assert.deepEqual(config.limits, { memory_mb: 2048, cpu_s: 'unlimited' });
  assert.deepEqual(config.allowed_functions, ['0f7d3c1e-4b1a-4c3e-9a8b-2d6f5e4c3b2a']);
});

test('limits not written take their documented defaults; unlimited lifts one', () => {
  assert.deepEqual(resolveLimits(), {
    task: { cpuSeconds: undefined, processes: 256, outputBytes: 10 * 1024 * 1024 },
    rlimits: { memoryMb: 4096, processes: 256 },
  });
  assert.deepEqual(resolveLimits({ memory_mb: 'unlimited', cpu_s: 60 }).rlimits.memoryMb, undefined);
  assert.equal(resolveLimits({ cpu_s: 60 }).task.cpuSeconds, 60);
});

test('each bad field of how workers run is named with what to put there', () => {
  const cases: [string, RegExp][] = [
    ['sandbox: docker', /sandbox must be one of auto, none, bwrap \(got "docker"\)/],
    ['sandbox_network: maybe', /sandbox_network must be true or false/],
    ['public: yes please', /public must be true or false/],
    ['worker_env: [A]', /worker_env must be a mapping of variable names to values/],
    ['worker_env: { FUNCX_TOKEN: x }', /worker_env: FUNCX_TOKEN: variables named FUNCX_\* belong to the endpoint/],
    ['worker_env: { "BAD NAME": x }', /"BAD NAME" is not a variable name/],
    ['env_passthrough: [FUNCX_HOME]', /env_passthrough: FUNCX_HOME: variables named FUNCX_\*/],
    ['env_passthrough: HOME', /env_passthrough must be a list of variable names/],
    ['limits: { memory_mb: -1 }', /limits\.memory_mb must be a positive number or "unlimited" \(got -1\)/],
    ['limits: { disk_mb: 10 }', /limits\.disk_mb is not a limit \(known: memory_mb, processes, cpu_s, output_bytes\)/],
    ['allowed_functions: [f]', /allowed_functions must be a list of function ids \(UUIDs\)/],
  ];
  for (const [line, expected] of cases) {
    assert.throws(() => parseConfig(withLine(line), 'config.yaml'), expected, line);
  }
});

test('the container fields are read as written', () => {
  const text =
    VALID +
    [
      'container_runtime: podman',
      'container_image: localhost/funcx-python:bookworm',
      'container_options: ["--pull=never"]',
      'container_network: none',
      'container_image_stores: [/var/cache/funcx/podman-store]',
      'max_warm_containers: 3',
      'container_idle_s: 30',
      'warm_mode: hard',
    ].join('\n');
  const config = parseConfig(text, 'config.yaml');
  assert.equal(config.container_runtime, 'podman');
  assert.equal(config.container_image, 'localhost/funcx-python:bookworm');
  assert.deepEqual(config.container_options, ['--pull=never']);
  assert.equal(config.container_network, 'none');
  assert.deepEqual(config.container_image_stores, ['/var/cache/funcx/podman-store']);
  assert.equal(config.max_warm_containers, 3);
  assert.equal(config.container_idle_s, 30);
  assert.equal(config.warm_mode, 'hard');
  const custom = parseConfig(VALID + 'container_runtime: custom\ncontainer_command: "tool run {mounts} {image} {command}"\n', 'config.yaml');
  assert.equal(custom.container_command, 'tool run {mounts} {image} {command}');
});

test('each bad container field is named with what to put there', () => {
  const cases: [string, RegExp][] = [
    ['container_runtime: lxc', /container_runtime must be one of none, podman, docker, apptainer, singularity, shifter, podman-hpc, bwrap, custom \(got "lxc"\)/],
    ['container_image: localhost/x', /container_image needs a container_runtime/],
    ['container_runtime: podman\ncontainer_image: "--privileged"', /container_image: "--privileged" is not a valid container image: use an image reference/],
    ['container_runtime: podman\ncontainer_options: --pull=never', /container_options must be a list of strings/],
    ['container_runtime: podman\ncontainer_command: "x {image} {command}"', /container_command is the template of container_runtime: custom/],
    ['container_runtime: custom', /container_runtime: custom needs container_command/],
    ['container_runtime: custom\ncontainer_command: "tool {image}"', /container_command must contain \{command\}/],
    ['container_runtime: podman\ncontainer_network: "a b"', /container_network must be none, host or the name of a network/],
    ['container_runtime: shifter\ncontainer_network: none', /shifter shares the host's network and cannot isolate it/],
    ['container_runtime: bwrap', /container_runtime: bwrap needs container_image_dir/],
    ['container_runtime: bwrap\ncontainer_image_dir: images', /container_image_dir must be an absolute path/],
    ['container_runtime: podman\ncontainer_image_dir: /images', /container_image_dir is where bwrap, apptainer, singularity find their images; container_runtime is podman/],
    ['container_runtime: docker\ncontainer_image_stores: [/s]', /container_image_stores are image stores of the endpoint's podman; container_runtime is docker/],
    ['container_runtime: podman\nmax_warm_containers: 0', /max_warm_containers must be a whole number from 1 to 1024 \(got 0\)/],
    ['container_runtime: podman\ncontainer_idle_s: -5', /container_idle_s must be a number of seconds above 0/],
    ['container_runtime: podman\nwarm_mode: lukewarm', /warm_mode must be soft \(repurpose an idle worker of another image\) or hard/],
  ];
  for (const [line, expected] of cases) {
    assert.throws(() => parseConfig(withLine(line), 'config.yaml'), expected, line);
  }
});
