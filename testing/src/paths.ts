import { fileURLToPath } from 'node:url';

/** The repository root (this file is testing/dist/src/paths.js once compiled). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Compiled entry points of the project's binaries. */
export const bin = {
  hub: `${repoRoot}server/dist/src/main.js`,
  endpoint: `${repoRoot}endpoint/dist/src/cli.js`,
  funcx: `${repoRoot}client/dist/src/cli.js`,
} as const;

/** The Python that has matplotlib (the project venv) when present, else python3. */
export function projectPython(): string {
  return process.env.FUNCX_TEST_PYTHON ?? `${repoRoot}.venv/bin/python`;
}
