import { endpointRef, type EndpointView, type FuncxError, type TaskSubmission } from '@funcx/protocol';
import type { TaskFinalEvent } from '@funcx/client/hub-client';
import type { ICodeCellModel } from '@jupyterlab/cells';
import type * as nbformat from '@jupyterlab/nbformat';
import type { INotebookModel } from '@jupyterlab/notebook';
import { Signal, type ISignal } from '@lumino/signaling';
import type { CellRun, ICellRunner, IFuncxService } from './tokens';
import { OutputBuffer } from './output-buffer';
import { endpointTarget, isRoutedTarget } from './magic';
import { describeEndpoints, finalOutputs, funcxErrorOutput, toCellOutput } from './outputs';

/** The endpoint a run goes to: its id, how the user writes it (`owner/name` when shared) and its owner. */
interface ResolvedEndpoint {
  id: string;
  ref: string;
  owner: string;
}

function resolved(endpoint: EndpointView, user: string | null): ResolvedEndpoint {
  return {
    id: endpoint.endpoint_id,
    ref: user ? endpointRef(user, endpoint) : endpoint.endpoint_id,
    owner: endpoint.owner
  };
}

/** The part of a cell model a run writes to. */
interface OutputSink {
  outputs: { readonly length: number; add(output: nbformat.IOutput): number; clear(): void };
}

interface Running {
  taskId?: string;
  cancelled: boolean;
}

/**
 * Runs cells as funcX tasks and writes what they print, display, return and raise into the cell, as a kernel
 * would: busy prompt while running, then an execution count.
 */
export class CellRunner implements ICellRunner {
  private readonly running = new Map<ICodeCellModel, Running>();
  private readonly counters = new WeakMap<INotebookModel, number>();
  private readonly _endpointUsed = new Signal<this, string>(this);
  private _lastEndpoint: string | null = null;

  constructor(private readonly service: IFuncxService) {}

  /** The endpoint the last run went to ("Run cell on NAME"). */
  get lastEndpoint(): string | null {
    return this._lastEndpoint;
  }

  get endpointUsed(): ISignal<this, string> {
    return this._endpointUsed;
  }

  isRunning(cell: ICodeCellModel): boolean {
    return this.running.has(cell);
  }

  /** Runs the cell; resolves true when the task succeeded. */
  async run(run: CellRun): Promise<boolean> {
    const { cell } = run;
    await this.cancelCell(cell);
    const state: Running = { cancelled: false };
    this.running.set(cell, state);
    cell.sharedModel.transact(() => {
      cell.clearExecution();
    }, false);
    cell.executionState = 'running';
    // Until the run knows whose code runs where, what arrives renders as an untrusted notebook's would.
    cell.trusted = false;
    try {
      return await this.execute(run, state);
    } catch (error) {
      const message = (error as Error).message;
      this.guarded(cell, state).outputs.add(funcxErrorOutput((error as FuncxError).code ?? 'FuncxError', message));
      this.finish(run, state);
      return false;
    }
  }

  /** Cancels every task running for cells of this notebook; resolves with how many were cancelled. */
  async cancelNotebook(notebook: INotebookModel): Promise<number> {
    const cells = new Set<ICodeCellModel>();
    for (let i = 0; i < notebook.cells.length; i++) {
      const cell = notebook.cells.get(i);
      if (cell.type === 'code' && this.running.has(cell as ICodeCellModel)) cells.add(cell as ICodeCellModel);
    }
    await Promise.all([...cells].map(cell => this.cancelCell(cell)));
    return cells.size;
  }

  async cancelCell(cell: ICodeCellModel): Promise<void> {
    const state = this.running.get(cell);
    if (!state || state.cancelled) return;
    state.cancelled = true;
    if (state.taskId) {
      await this.service.client.cancelTask(state.taskId).catch(() => undefined);
    }
  }

  private async execute(run: CellRun, state: Running): Promise<boolean> {
    const cell = this.guarded(run.cell, state);
    // A group or a list of endpoints is routed at the hub: which endpoint runs the task is known from its first event.
    const routed = run.endpoint !== undefined && isRoutedTarget(run.endpoint);
    const endpoint = routed ? null : await this.resolveEndpoint(run, cell);
    if (!routed && !endpoint) {
      this.finish(run, state);
      return false;
    }
    if (state.cancelled) {
      cell.outputs.add(funcxErrorOutput('TaskCancelled', 'The run was stopped before the task was submitted.'));
      this.finish(run, state);
      return false;
    }
    const client = this.service.client;
    // Routed runs render sanitized: where the code runs is decided after the submission.
    if (this.running.get(run.cell) === state) run.cell.trusted = endpoint ? await this.trusts(run, endpoint) : false;
    const written = endpoint ? endpoint.ref : run.endpoint!;
    const submission: TaskSubmission = { ...run.submission, endpoint: endpoint ? endpoint.ref : endpointTarget(written) };
    const { task_ids } = await client.submitLive([submission]);
    const taskId = task_ids[0];
    state.taskId = taskId;
    this._lastEndpoint = written;
    this._endpointUsed.emit(written);
    const tracked = { function_id: run.submission.function_id, label: run.label };
    this.service.tasks.track(taskId, endpoint ? { ...tracked, endpoint_id: endpoint.id } : tracked);
    if (state.cancelled) void client.cancelTask(taskId).catch(() => undefined);

    let waitingNote = false;
    /** Where a routed task went, from its state events. */
    let routedTo: string | undefined;
    const showWaiting = () => {
      const endpointId = endpoint?.id ?? routedTo;
      const view = endpointId ? this.service.endpoints.get(endpointId) : undefined;
      if (!waitingNote && cell.outputs.length === 0 && view && !view.status.online) {
        waitingNote = true;
        cell.outputs.add({
          output_type: 'stream',
          name: 'stderr',
          text: `Waiting for endpoint ${this.service.endpoints.refOf(view)} (offline): the task runs as soon as it is back.\n`
        });
      }
    };
    const clearWaiting = () => {
      if (waitingNote) {
        waitingNote = false;
        cell.outputs.clear();
      }
    };
    showWaiting();

    const outputs = new OutputBuffer(output => cell.outputs.add(toCellOutput(output)));
    const final = await new Promise<TaskFinalEvent | FuncxError>(resolve => {
      const stop = client.watchTask(taskId, {
        onState: event => {
          routedTo = event.endpoint_id ?? routedTo;
          outputs.flush();
          if (event.state === 'running') clearWaiting();
          else if (event.state === 'waiting-for-endpoint') showWaiting();
        },
        onOutput: output => {
          clearWaiting();
          outputs.push(output);
        },
        onFinal: event => {
          stop();
          resolve(event);
        },
        onError: error => {
          stop();
          resolve(error);
        }
      });
    });
    outputs.flush();
    clearWaiting();
    const count = this.nextCount(run.notebook);
    if (!('type' in final)) {
      cell.outputs.add(funcxErrorOutput(final.code ?? 'FuncxError', final.message));
      this.finish(run, state, count);
      return false;
    }
    for (const output of finalOutputs(final, count)) cell.outputs.add(output);
    this.finish(run, state, count);
    return final.state === 'success';
  }

  /**
   * Whether the run's outputs may render as trusted (HTML and scripts as they are): only when the user's own
   * code runs on the user's own endpoint, as with a kernel. Anything else renders sanitized.
   */
  private async trusts(run: CellRun, endpoint: ResolvedEndpoint): Promise<boolean> {
    const user = this.service.user;
    if (!user || endpoint.owner !== user) return false;
    const functionId = run.submission.function_id;
    if (functionId === undefined) return true;
    try {
      return (await this.service.client.getFunction(functionId)).owner === user;
    } catch {
      return false;
    }
  }

  /** The endpoint to submit to, or null after writing an error output that says what exists. */
  private async resolveEndpoint(run: CellRun, cell: OutputSink): Promise<ResolvedEndpoint | null> {
    const endpoints = this.service.endpoints;
    if (!run.endpoint) {
      cell.outputs.add(
        funcxErrorOutput(
          'NoEndpoint',
          'This notebook has no default endpoint: name one ("%%funcx ENDPOINT") or click an endpoint in the ' +
            `Endpoints sidebar. ${describeEndpoints(endpoints.endpoints)}`
        )
      );
      return null;
    }
    const known = endpoints.get(run.endpoint);
    if (known) return resolved(known, this.service.user);
    try {
      const fetched = await this.service.client.getEndpoint(run.endpoint);
      endpoints.update([fetched]);
      return resolved(fetched, this.service.user);
    } catch (error) {
      if ((error as FuncxError).code !== 'FUNCX_ENDPOINT_NOT_FOUND') throw error;
      cell.outputs.add(
        funcxErrorOutput(
          'EndpointNotFound',
          `No endpoint named "${run.endpoint}". ${describeEndpoints(endpoints.endpoints)}`
        )
      );
      return null;
    }
  }

  /**
   * Where a run writes: the cell's outputs while this run is the cell's latest one, nowhere once the cell was
   * run again (the earlier task's late events must not land in the new run's outputs).
   */
  private guarded(cell: ICodeCellModel, state: Running): OutputSink {
    const current = () => this.running.get(cell) === state && !cell.isDisposed;
    return {
      outputs: {
        get length() {
          return current() ? cell.outputs.length : 0;
        },
        add: output => (current() ? cell.outputs.add(output) : 0),
        clear: () => current() && cell.outputs.clear()
      }
    };
  }

  private finish(run: CellRun, state: Running, count?: number): void {
    if (this.running.get(run.cell) !== state) return;
    this.running.delete(run.cell);
    if (run.cell.isDisposed) return;
    if (count !== undefined) run.cell.executionCount = count;
    run.cell.executionState = 'idle';
  }

  /** Execution counts keep rising within a notebook, above any count already shown. */
  private nextCount(notebook: INotebookModel | null): number {
    let highest = notebook ? this.counters.get(notebook) ?? 0 : 0;
    if (notebook) {
      for (let i = 0; i < notebook.cells.length; i++) {
        const cell = notebook.cells.get(i) as ICodeCellModel;
        if (cell.type === 'code' && cell.executionCount && cell.executionCount > highest) {
          highest = cell.executionCount;
        }
      }
      this.counters.set(notebook, highest + 1);
    }
    return highest + 1;
  }
}
