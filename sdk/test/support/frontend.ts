import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { EndpointView, FuncxError, TaskSubmission } from '@funcx/protocol';
import type { HubClient } from '@funcx/client';
import { repoRoot } from '@funcx/testing';

/** A Jupyter output as nbformat stores it (loosely typed: it is compared, not used). */
export type CellOutput = Record<string, unknown> & { output_type: string };

interface ExtensionModules {
  CellRunner: new (service: unknown) => {
    run(run: { cell: unknown; notebook: unknown; endpoint?: string; submission: TaskSubmission }): Promise<boolean>;
  };
  EndpointsModel: new () => { reset(views: EndpointView[]): void; setUser(user: string): void };
  parseFuncxMagic(source: string): { endpoint?: string };
  cellSubmission(magic: unknown): Omit<TaskSubmission, 'endpoint'>;
  MagicError: new (...args: never[]) => Error;
  funcxErrorOutput(ename: string, message: string): CellOutput;
}

/** The extension's own modules, compiled for Node by extension/tsconfig.test.json (setup.sh builds them). */
function extension(): ExtensionModules {
  const require = createRequire(import.meta.url);
  const dist = join(repoRoot, 'extension', 'dist', 'src');
  return {
    ...require(join(dist, 'cell-runner.js')),
    ...require(join(dist, 'models', 'endpoints-model.js')),
    ...require(join(dist, 'magic.js')),
    ...require(join(dist, 'outputs.js')),
  } as ExtensionModules;
}

/**
 * A code cell's output area as JupyterLab keeps it: a stream output that follows one of the same name is merged
 * into it (OutputAreaModel does so, and so the notebook JupyterLab saves has them merged).
 */
function outputArea(id: string) {
  const outputs: CellOutput[] = [];
  const metadata: Record<string, unknown> = {};
  const cell = {
    id,
    isDisposed: false,
    getMetadata: (key: string) => metadata[key],
    setMetadata: (key: string, value: unknown) => (metadata[key] = value),
    trusted: false,
    executionState: 'idle',
    executionCount: null as number | null,
    sharedModel: { transact: (change: () => void) => change() },
    clearExecution: () => (outputs.length = 0),
    outputs: {
      get length() {
        return outputs.length;
      },
      add(output: CellOutput) {
        const last = outputs[outputs.length - 1];
        if (output.output_type === 'stream' && last?.output_type === 'stream' && last.name === output.name) {
          last.text = `${String(last.text)}${String(output.text)}`;
        } else {
          outputs.push({ ...output });
        }
        return outputs.length;
      },
      set(index: number, output: CellOutput) {
        outputs[index] = { ...output };
      },
      clear: () => (outputs.length = 0),
    },
  };
  return { cell, outputs };
}

/**
 * Runs `%%funcx` cells the way JupyterLab does: the extension's magic parser and its CellRunner (the code its
 * cell executor hands such cells to), with a real HubClient, writing into an output area like JupyterLab's.
 */
export async function runCellsLikeJupyterLab(client: HubClient, sources: string[]): Promise<CellOutput[][]> {
  const { CellRunner, EndpointsModel, parseFuncxMagic, cellSubmission, MagicError, funcxErrorOutput } = extension();
  const { user } = await client.whoami();
  const endpoints = new EndpointsModel();
  endpoints.reset(await client.listEndpoints());
  endpoints.setUser(user);
  // What the runner asks of the extension's service: the hub is connected throughout, tasks are not listed.
  const connectionChanged = { connect: () => true, disconnect: () => true };
  const service = { user, endpoints, tasks: { track: () => undefined, get: () => undefined }, client, connectionState: 'connected', connectionChanged, disconnectedSince: null };
  const runner = new CellRunner(service);
  // One notebook: what the runner says once per notebook it says once here.
  const notebook = { cells: { length: 0, get: () => undefined } };
  const results: CellOutput[][] = [];
  for (const [i, source] of sources.entries()) {
    const { cell, outputs } = outputArea(`cell-${i}`);
    try {
      const magic = parseFuncxMagic(source);
      await runner.run({ cell, notebook, endpoint: magic.endpoint, submission: cellSubmission(magic) as TaskSubmission });
    } catch (error) {
      if (!(error instanceof MagicError)) throw error as FuncxError;
      cell.outputs.add(funcxErrorOutput('FuncxMagicError', error.message));
    }
    results.push(outputs);
  }
  return results;
}
