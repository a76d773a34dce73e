import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { makeTempDir, projectPython, repoRoot, spawnProcess } from '@funcx/testing';

/** Where the Python package and its tests live. */
export const sdkPython = join(repoRoot, 'sdk', 'python');

/** One Python test, as sdk/python/tests/run.py writes it. */
export interface PythonTestResult {
  id: string;
  module: string;
  name: string;
  doc: string;
  status: 'pass' | 'fail' | 'skip';
  detail: string;
  duration_ms: number;
}

export interface PythonRun {
  results: PythonTestResult[];
  code: number | null;
  output: string;
}

/** What a Python test may ask the harness to do mid-test (tests/support.py `control`). */
export type ControlHandlers = Record<string, (request: Record<string, unknown>) => Promise<unknown>>;

const CONTROL_PREFIX = '@@funcx-test-control@@ ';

/** The project's Python (the SDK is installed in it by setup.sh), else python3 with sdk/python on its path. */
export function sdkInterpreter(): { python: string; env: NodeJS.ProcessEnv } {
  const python = projectPython();
  return existsSync(python) ? { python, env: {} } : { python: 'python3', env: { PYTHONPATH: sdkPython } };
}

/**
 * Runs Python test modules (`test_executor`, `test_magic.LiveKernel`, …) with tests/run.py and collects one result
 * per test. Lines the tests print with CONTROL_PREFIX are requests to the harness, answered on their stdin.
 */
export async function runPythonTests(
  modules: string[],
  options: { env?: NodeJS.ProcessEnv; control?: ControlHandlers; timeoutMs?: number } = {},
): Promise<PythonRun> {
  const resultsFile = join(makeTempDir('funcx-pytest-'), 'results.jsonl');
  const interpreter = sdkInterpreter();
  const child = spawnProcess(interpreter.python, ['tests/run.py', ...modules], {
    name: `python tests/run.py ${modules.join(' ')}`,
    cwd: sdkPython,
    env: {
      ...process.env,
      ...interpreter.env,
      ...options.env,
      FUNCX_TEST_RESULTS: resultsFile,
      FUNCX_TEST_CONTROL: options.control ? '1' : '0',
      PYTHONUNBUFFERED: '1',
    },
  });
  let pending = '';
  child.child.stdout!.on('data', (chunk: Buffer | string) => {
    pending += chunk.toString();
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.startsWith(CONTROL_PREFIX)) void answer(JSON.parse(line.slice(CONTROL_PREFIX.length)));
    }
  });
  const answer = async (request: Record<string, unknown>) => {
    const handler = options.control?.[String(request.command)];
    let reply: unknown;
    try {
      if (!handler) throw new Error(`no handler for ${String(request.command)}`);
      reply = { ok: true, result: (await handler(request)) ?? null };
    } catch (error) {
      reply = { error: (error as Error).message };
    }
    child.child.stdin!.write(`${JSON.stringify(reply)}\n`);
  };
  const status = await child.waitForExit(options.timeoutMs ?? 280_000);
  const results = existsSync(resultsFile)
    ? readFileSync(resultsFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as PythonTestResult)
    : [];
  return { results, code: status.code, output: child.output };
}

/** Reports each Python test as a subtest of `t` (its docstring and traceback on failure). */
export async function reportPythonTests(t: TestContext, run: PythonRun): Promise<void> {
  for (const result of run.results) {
    const skip = result.status === 'skip' ? result.detail || true : undefined;
    await t.test(result.name, { skip }, () => {
      if (result.status === 'fail') throw new Error(`${result.id}${result.doc ? `: ${result.doc}` : ''}\n${result.detail}`);
    });
  }
  const failed = run.results.some((result) => result.status === 'fail');
  if (run.results.length === 0 || (run.code !== 0 && !failed)) {
    throw new Error(`the Python tests exited with ${run.code} after ${run.results.length} results:\n${run.output.slice(-6000)}`);
  }
}
