import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { tempDir } from './support/hub.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

describe('the funcx-hub binary', () => {
  it('prints its listening line, writes credentials.json and accepts a user added while it runs', async (t) => {
    const dir = tempDir();
    const env = { ...process.env, FUNCX_HOME: join(dir, 'home') };
    const hub = spawn(process.execPath, [MAIN, '--port', '0', '--data-dir', join(dir, 'data')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => {
      if (hub.exitCode === null) hub.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
    const lines: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no listening line within 10 s')), 10_000);
      hub.once('exit', (code) => reject(new Error(`hub exited with ${code}`)));
      createInterface({ input: hub.stdout }).on('line', (line) => {
        lines.push(line);
        const match = /^funcx hub listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    const credentialsFile = join(dir, 'home', 'credentials.json');
    const credentials = JSON.parse(readFileSync(credentialsFile, 'utf8'));
    assert.equal(credentials.hub_url, url);
    assert.equal(statSync(credentialsFile).mode & 0o777, 0o600);
    const me = await fetch(`${url}/v1/functions`, { headers: { authorization: `Bearer ${credentials.token}` } });
    assert.equal(me.status, 200);

    const token = execFileSync(process.execPath, [MAIN, 'users', 'add', 'dora', '--data-dir', join(dir, 'data')], { env, encoding: 'utf8' }).trim();
    assert.match(token, /^fxu_/);
    const dora = await fetch(`${url}/v1/endpoints`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(dora.status, 200);

    hub.kill('SIGTERM');
    const code = await new Promise((resolve) => hub.once('exit', resolve));
    assert.equal(code, 0);
    assert.deepEqual(lines, [`funcx hub listening on ${url}`]);
  });
});
