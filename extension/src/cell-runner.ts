import { MAX_TASK_ATTEMPTS, endpointRef, isFinalState, type EndpointView, type FuncxError, type TaskSubmission } from '@funcx/protocol';
import type { TaskFinalEvent } from '@funcx/client/hub-client';
import type { TaskResult } from '@funcx/protocol';
import type { ICodeCellModel } from '@jupyterlab/cells';
import type * as nbformat from '@jupyterlab/nbformat';
import type { INotebookModel } from '@jupyterlab/notebook';
import { Signal, type ISignal } from '@lumino/signaling';
import type { CellRun, ICellRunner, IFuncxService } from './tokens';
import { CellStream } from './cell-stream';
import { OutputBuffer } from './output-buffer';
import { endpointTarget, isRoutedTarget } from './magic';
import { describeEndpoints, finalOutputs, funcxErrorOutput, namespaceNote, toCellOutput } from './outputs';
import { runRecordOf, writeRunRecord, type CellRunRecord } from './run-record';

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
  outputs: { readonly length: number; add(output: nbformat.IOutput): number; set(index: number, output: nbformat.IOutput): void; clear(): void };
}

interface Running {
  taskId?: string;
  cancelled: boolean;
  /** The task's generator items, once it says it streams. */
  stream?: CellStream;
  /** Ends a wait for the hub (the run was stopped meanwhile). */
  wake?: () => void;
}

/**
 * Runs cells as funcX tasks and writes what they print, display, return and raise into the cell, as a kernel
 * would: busy prompt while running, then an execution count.
 */
export class CellRunner implements ICellRunner {
  private readonly running = new Map<ICodeCellModel, Running>();
  private readonly counters = new WeakMap<INotebookModel, number>();
  private readonly _endpointUsed = new Signal<this, string>(this);
  private readonly _noteChanged = new Signal<this, ICodeCellModel>(this);
  private readonly notes = new Map<ICodeCellModel, string>();
  /** Notebooks whose cells were told that each runs in a fresh namespace. */
  private readonly toldFreshNamespace = new WeakSet<object>();
  private _lastEndpoint: string | null = null;

  constructor(private readonly service: IFuncxService) {}

  /** The endpoint the last run went to ("Run cell on NAME"). */
  get lastEndpoint(): string | null {
    return this._lastEndpoint;
  }

  get endpointUsed(): ISignal<this, string> {
    return this._endpointUsed;
  }

  /** Emits a cell whose note changed (what a running cell waits for, shown under it; not an output). */
  get noteChanged(): ISignal<this, ICodeCellModel> {
    return this._noteChanged;
  }

  noteOf(cell: ICodeCellModel): string | null {
    return this.notes.get(cell) ?? null;
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
    cell.executionState = 'running';
    // Asked for while the hub is unreachable, the run waits for it and leaves the last run's outputs in place.
    if (this.service.connectionState !== 'connected' && !(await this.waitForHub(cell, state))) {
      this.finish(run, state);
      return false;
    }
    cell.sharedModel.transact(() => {
      cell.clearExecution();
    }, false);
    // Until the run knows whose code runs where, what arrives renders as an untrusted notebook's would.
    cell.trusted = false;
    const stopWatchingHub = this.noteHubOutages(cell, state);
    try {
      return await this.execute(run, state);
    } catch (error) {
      const message = (error as Error).message;
      this.guarded(cell, state).outputs.add(funcxErrorOutput((error as FuncxError).code ?? 'FuncxError', message));
      this.finish(run, state);
      return false;
    } finally {
      stopWatchingHub();
    }
  }

  /** Resolves true once the hub is connected, false when the run was stopped first; notes the wait meanwhile. */
  private waitForHub(cell: ICodeCellModel, state: Running): Promise<boolean> {
    this.setNote(cell, `Waiting for the hub (${this.unreachableSince()}): the cell runs once it is back.`);
    return new Promise<boolean>(resolve => {
      const done = (connected: boolean) => {
        this.service.connectionChanged.disconnect(check);
        state.wake = undefined;
        this.setNote(cell, null);
        resolve(connected);
      };
      const check = () => {
        if (this.service.connectionState === 'connected') done(true);
      };
      state.wake = () => done(false);
      this.service.connectionChanged.connect(check);
    });
  }

  /** While the run is under way, a lost hub connection shows as a note under the cell. */
  private noteHubOutages(cell: ICodeCellModel, state: Running): () => void {
    const update = () => {
      if (this.running.get(cell) !== state) return;
      this.setNote(
        cell,
        this.service.connectionState === 'connected'
          ? null
          : `Waiting for the hub (${this.unreachableSince()}): the task goes on at its endpoint, and what it printed arrives once the hub is back.`
      );
    };
    this.service.connectionChanged.connect(update);
    return () => {
      this.service.connectionChanged.disconnect(update);
      if (this.running.get(cell) === state || !this.running.has(cell)) this.setNote(cell, null);
    };
  }

  private unreachableSince(): string {
    const since = this.service.disconnectedSince;
    return since ? `unreachable since ${new Date(since).toLocaleTimeString()}` : 'connecting';
  }

  private setNote(cell: ICodeCellModel, note: string | null): void {
    if ((this.notes.get(cell) ?? null) === note) return;
    if (note) this.notes.set(cell, note);
    else this.notes.delete(cell);
    this._noteChanged.emit(cell);
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
    state.wake?.();
    state.stream?.stop();
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
    const tracked = { function_id: run.submission.function_id, label: run.label, cell_id: run.cell.id };
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
    const stream = (): CellStream => {
      if (!state.stream) {
        const current = () => this.running.get(run.cell) === state && !run.cell.isDisposed;
        state.stream = new CellStream(client, taskId, {
          add: output => {
            outputs.flush();
            cell.outputs.add(output);
          },
          get length() {
            return cell.outputs.length;
          },
          set: (index, output) => cell.outputs.set(index, output),
          note: text => {
            if (current()) this.setNote(run.cell, text);
          },
          get current() {
            return current();
          }
        });
      }
      return state.stream;
    };
    /** Which attempt is running: the hub hands a task out again when its endpoint is lost while running it. */
    let attempt = 1;
    /** The current attempt was seen running or printing: a waiting state after that means it was handed out again. */
    let ran = false;
    let requeued = false;
    /** What the task does next (runs, prints, ends) belongs to a new attempt when it was handed out again. */
    const attemptGoesOn = () => {
      ran = true;
      if (!requeued) return;
      requeued = false;
      attempt++;
      waitingNote = false;
      cell.outputs.clear();
      state.stream?.restart();
      cell.outputs.add({
        output_type: 'stream',
        name: 'stderr',
        text: `Attempt ${attempt} of ${MAX_TASK_ATTEMPTS} after the endpoint was lost: the output of attempt ${attempt - 1} was cleared.\n`
      });
    };
    const final = await new Promise<TaskFinalEvent | FuncxError>(resolve => {
      const stop = client.watchTask(taskId, {
        onState: event => {
          routedTo = event.endpoint_id ?? routedTo;
          outputs.flush();
          if (event.state === 'running') {
            attemptGoesOn();
            clearWaiting();
          } else if (ran && !isFinalState(event.state)) {
            requeued = true;
          }
          if (event.state === 'waiting-for-endpoint') showWaiting();
          if (event.streams) stream().start();
        },
        onOutput: output => {
          clearWaiting();
          attemptGoesOn();
          outputs.push(output);
        },
        onFinal: event => {
          // A quick attempt reports no running state: its output or its end is the first sign of it.
          if (requeued) attemptGoesOn();
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
    if ('type' in final && final.streams && final.state !== 'cancelled') await stream().finish();
    else state.stream?.stop();
    outputs.flush();
    const count = this.nextCount(run.notebook);
    if (!('type' in final)) {
      cell.outputs.add(funcxErrorOutput(final.code ?? 'FuncxError', final.message));
      this.finish(run, state, count);
      return false;
    }
    // Once per notebook, and again whenever a name is missing: a cell outside a session runs in a fresh namespace.
    // Before the cell's value or error, where a kernel's %%funcx shows it too.
    const notebook = run.notebook ?? run.cell;
    if (run.submission.session === undefined && (!this.toldFreshNamespace.has(notebook) || final.error?.ename === 'NameError')) {
      this.toldFreshNamespace.add(notebook);
      cell.outputs.add(namespaceNote());
    }
    for (const output of finalOutputs(final, count)) cell.outputs.add(output);
    await this.record(run, state, taskId, written, attempt);
    if (final.state === 'success' && run.storeAs && this.running.get(run.cell) === state) {
      try {
        await run.storeAs.store(storable(final.result));
      } catch (error) {
        cell.outputs.add(funcxErrorOutput('FuncxStoreError', (error as Error).message));
        this.finish(run, state, count);
        return false;
      }
    }
    this.finish(run, state, count);
    return final.state === 'success';
  }

  /** Writes where and how the cell ran into its metadata (`funcx.run`), from the task's record at the hub. */
  private async record(run: CellRun, state: Running, taskId: string, written: string, attempt: number): Promise<void> {
    let record: CellRunRecord;
    try {
      const task = await this.service.client.getTask(taskId);
      const view = this.service.endpoints.get(task.endpoint_id);
      record = runRecordOf(task, view ? this.service.endpoints.refOf(view) : written);
    } catch {
      const entry = this.service.tasks.get(taskId);
      record = { task_id: taskId, state: entry?.state ?? 'failed', endpoint: written, endpoint_id: entry?.endpoint_id, attempt };
    }
    if (this.running.get(run.cell) !== state || run.cell.isDisposed) return;
    writeRunRecord(run.cell, record);
    this._noteChanged.emit(run.cell);
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
        set: (index, output) => current() && cell.outputs.set(index, output),
        clear: () => current() && cell.outputs.clear()
      }
    };
  }

  private finish(run: CellRun, state: Running, count?: number): void {
    state.wake = undefined;
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

/** What `-o NAME` stores for a task's result: a `None` result has neither a value nor a pickle. */
function storable(result: TaskResult | undefined): TaskResult {
  if (!result) return { data: {}, value: null };
  if (result.value === undefined && result.pickle === undefined && result.data['text/plain'] === 'None') {
    return { ...result, value: null };
  }
  return result;
}
