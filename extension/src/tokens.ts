import type { TaskResult, TaskSubmission } from '@funcx/protocol';
import type { HubClient, ConnectionState } from '@funcx/client/hub-client';
import type { ICodeCellModel } from '@jupyterlab/cells';
import type { INotebookModel } from '@jupyterlab/notebook';
import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';
import type { EndpointGroupsModel } from './models/endpoint-groups-model';
import type { EndpointsModel } from './models/endpoints-model';
import type { TasksModel } from './models/tasks-model';

export type { ConnectionState };

/** The hub connection and the live models built on it; other extensions (the map) reuse it. */
export interface IFuncxService {
  /** The current client; replaced when the hubUrl or token settings change. */
  readonly client: HubClient;
  readonly hubUrl: string;
  readonly connectionState: ConnectionState;
  /** Emits on every connection state change (and when the client is replaced). */
  readonly connectionChanged: ISignal<IFuncxService, ConnectionState>;
  /** What went wrong on the last failed connection, with what to check; null while connected. */
  readonly lastError: string | null;
  /** When the hub became unreachable (Unix ms), while it is; null while connected. */
  readonly disconnectedSince: number | null;
  /** The hub user the token belongs to, once connected (null before). */
  readonly user: string | null;
  readonly endpoints: EndpointsModel;
  /** The endpoint groups the user may route to (listed on connecting, and again by refreshEndpointGroups). */
  readonly endpointGroups: EndpointGroupsModel;
  readonly tasks: TasksModel;
  /** Resolves once the settings are loaded and a first connection was attempted. */
  readonly ready: Promise<void>;
  /** Drops the current connection and connects again with the current settings. */
  reconnect(): void;
  /** Lists the endpoint groups again (groups change by REST, without events). */
  refreshEndpointGroups(): Promise<void>;
}

export const IFuncxService = new Token<IFuncxService>(
  '@funcx/jupyterlab:IFuncxService',
  'The funcX hub connection with its live endpoints and tasks models.'
);

/** The current notebook's default endpoint (notebook metadata `funcx.endpoint`). */
export interface IDefaultEndpoint {
  /** The default endpoint name of the current notebook, or null (no notebook, or none chosen). */
  readonly current: string | null;
  /** Sets the current notebook's default endpoint; false when no notebook is open. */
  set(name: string | null): boolean;
  /** Emits the new default when it changes or when another notebook becomes current. */
  readonly changed: ISignal<IDefaultEndpoint, string | null>;
}

export const IDefaultEndpoint = new Token<IDefaultEndpoint>(
  '@funcx/jupyterlab:IDefaultEndpoint',
  "The current notebook's default funcX endpoint."
);

/** One cell run: what to submit and where the outputs go. */
export interface CellRun {
  cell: ICodeCellModel;
  notebook: INotebookModel | null;
  /** Everything but the endpoint. */
  submission: Omit<TaskSubmission, 'endpoint'>;
  /**
   * Endpoint as the user wrote it (name, owner/name or id), or an endpoint group (`group:NAME`) or endpoints
   * separated by commas, which the hub routes among; undefined when none was given and the notebook has no default.
   */
  endpoint: string | undefined;
  /** Shown in the sidebar's task list. */
  label?: string;
  /** `-o NAME`: after a success, the value is stored (in the notebook's kernel) under this name. */
  storeAs?: { name: string; store(result: TaskResult): Promise<void> };
}

/** Runs cells as funcX tasks, writing outputs into them; shared by the `%%funcx` executor and the commands. */
export interface ICellRunner {
  /** The endpoint the last run went to ("Run cell on NAME"). */
  readonly lastEndpoint: string | null;
  /** Emits the endpoint (as the user writes it) each run goes to. */
  readonly endpointUsed: ISignal<ICellRunner, string>;
  isRunning(cell: ICodeCellModel): boolean;
  /** What a cell's run waits for (the hub, while it is unreachable), shown under the cell; null when nothing. */
  noteOf(cell: ICodeCellModel): string | null;
  readonly noteChanged: ISignal<ICellRunner, ICodeCellModel>;
  /** Runs the cell; resolves true when the task succeeded. */
  run(run: CellRun): Promise<boolean>;
  cancelCell(cell: ICodeCellModel): Promise<void>;
  /** Cancels every task running for cells of this notebook; resolves with how many were cancelled. */
  cancelNotebook(notebook: INotebookModel): Promise<number>;
}

export const ICellRunner = new Token<ICellRunner>(
  '@funcx/jupyterlab:ICellRunner',
  'Runs notebook cells as funcX tasks and streams their outputs into the cells.'
);

/** The endpoint map in the main area. */
export interface IEndpointMap {
  /** Opens the map, or brings it to the front. */
  open(): void;
}

export const IEndpointMap = new Token<IEndpointMap>(
  '@funcx/jupyterlab:IEndpointMap',
  'Opens the live map of funcX endpoints.'
);
