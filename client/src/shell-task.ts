import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliError } from '@funcx/node-common';

/**
 * Shell tasks run the Python SDK's shell runner (sdk/python/funcx/shell_runner.py) as inline source: the SDK's
 * ShellFunction, `%%funcx --shell` and `funcx run --shell` send the same file, so they are one function to the hub
 * and the endpoint, and an endpoint needs nothing to run them.
 */
export const SHELL_RUNNER_PATH = fileURLToPath(new URL('../../../sdk/python/funcx/shell_runner.py', import.meta.url));
export const SHELL_ENTRYPOINT = 'run_shell';
/** The return code of a command stopped at its walltime (as timeout(1) returns). */
export const WALLTIME_RETURNCODE = 124;
/** Lines of stdout and stderr the result keeps (both stream in full as the command writes them). */
export const SHELL_RESULT_LINES = 1000;
/** Seconds a shell task may run past its walltime before the endpoint stops it (the runner stops it first). */
export const SHELL_TIMEOUT_MARGIN_S = 15;

let runner: string | undefined;

export function shellRunnerSource(): string {
  if (runner === undefined) {
    try {
      runner = readFileSync(SHELL_RUNNER_PATH, 'utf8');
    } catch {
      throw new CliError(`the shell runner ${SHELL_RUNNER_PATH} is missing: --shell needs the Python SDK's sdk/python beside the CLI`, 2);
    }
  }
  return runner;
}
