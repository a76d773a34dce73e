import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, makeTempDir, repoRoot, runProcess, spawnProcess, stopAll, type ManagedProcess } from '../src/index.js';

/**
 * The README's tour, word for word, against the stack `./scripts/start.sh` starts: the commands run in a fresh
 * bash whose PATH is the machine's own plus what the README tells the user to add. Only what a user would type
 * differently is changed: the function id printed by `funcx register`, and the hub's port (free ports here).
 */

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** The lines of the first ```bash block in `file` that contains `marker`, comments stripped. */
function bashBlock(file: string, marker: string): string[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  for (const match of text.matchAll(/```bash\n([\s\S]*?)```/g)) {
    if (!match[1].includes(marker)) continue;
    return match[1].split('\n').map((line) => line.replace(/\s+#\s.*$/, '').trim()).filter(Boolean);
  }
  throw new Error(`${file} has no bash block with ${marker}`);
}

/** PATH without this checkout's node_modules/.bin, as a new user's shell has it. */
function userPath(): string {
  return (process.env.PATH ?? '').split(':').filter((dir) => !dir.includes('node_modules')).join(':');
}

let stack: ManagedProcess;
let home: string;
let hubPort: number;
let runDir: string;

before(async () => {
  home = makeTempDir('funcx-tour-home-');
  runDir = makeTempDir('funcx-tour-run-');
  hubPort = await freePort();
  const labPort = await freePort();
  stack = spawnProcess('bash', [join(repoRoot, 'scripts/start.sh')], {
    name: 'scripts/start.sh',
    cwd: repoRoot,
    env: { ...process.env, PATH: userPath(), FUNCX_HOME: home, FUNCX_HUB_PORT: String(hubPort), FUNCX_LAB_PORT: String(labPort), FUNCX_RUN_DIR: runDir },
  });
  await stack.waitForOutput(/Press Ctrl-C to stop everything/, { timeoutMs: 240_000 });
});

after(async () => {
  await stopAll();
});

async function tourLine(setup: string[], line: string): Promise<string> {
  const run = await runProcess('bash', ['-c', [...setup, line].join('\n')], {
    name: line,
    cwd: repoRoot,
    env: { ...process.env, PATH: userPath(), FUNCX_HOME: home },
    timeoutMs: 60_000,
  });
  return run.stdout;
}

const withPort = (line: string) => line.replaceAll('127.0.0.1:8470', `127.0.0.1:${hubPort}`);

describe("the README's tour, through the PATH it tells the user to set", () => {
  it('start.sh prints the same PATH line the README shows', () => {
    assert.match(stack.output, /CLI\s+export PATH="[^"]*\/node_modules\/\.bin:\$PATH"; funcx endpoints/);
  });

  it('every funcx command of the tour works', async () => {
    const lines = bashBlock('README.md', 'export PATH=');
    const setup = lines.filter((line) => line.startsWith('export '));
    assert.deepEqual(setup, ['export PATH="$PWD/node_modules/.bin:$PATH"']);
    let functionId: string | undefined;
    for (const written of lines.filter((line) => !line.startsWith('export '))) {
      const line = functionId ? written.replace(/\bID\b/, functionId) : written;
      const stdout = await tourLine(setup, line);
      if (line.startsWith('funcx endpoints')) {
        assert.match(stdout, /^local\s+\S+\s+(online|busy)/m);
        assert.match(stdout, /^cloud\s+\S+\s+(online|busy)/m);
      } else if (line.startsWith('funcx register')) {
        functionId = UUID.exec(stdout)?.[0];
        assert.ok(functionId, `register printed an id: ${stdout}`);
      } else if (line.includes('--function')) {
        assert.equal(stdout.trim(), '2.5');
      } else if (line.startsWith('funcx run')) {
        assert.ok(stdout.trim().length > 0, `${line} printed its output and result`);
      }
    }
    assert.ok(functionId, 'the tour registers a function and runs it');
  });

  it("the getting-started guide's commands work too", async () => {
    const lines = bashBlock('docs/getting-started.md', 'funcx-endpoint stop cloud').map(withPort);
    const setup = lines.filter((line) => line.startsWith('export '));
    for (const line of lines.filter((candidate) => !candidate.startsWith('export '))) {
      const stdout = await tourLine(setup, line);
      if (line.startsWith('curl')) assert.equal(JSON.parse(stdout).status, 'ok');
    }
  });

  it('Ctrl-C (SIGTERM) stops the hub, the endpoints and JupyterLab it started', async () => {
    const pids = readFileSync(join(runDir, 'pids'), 'utf8').trim().split('\n').map((line) => Number(line.split(' ')[1]));
    assert.ok(pids.length >= 4, `recorded ${pids.length} processes`);
    stack.signal('SIGTERM');
    await stack.waitForExit(60_000);
    for (const pid of pids) {
      assert.throws(() => process.kill(pid, 0), `process ${pid} is gone`);
    }
    assert.equal(existsSync(join(runDir, 'pids')), false);
  });
});
