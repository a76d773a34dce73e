import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig, parseLocation, validateName } from '../src/config.js';

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
    [withLine('provider: slurm'), /provider "slurm" is not available; use one of: local/],
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
