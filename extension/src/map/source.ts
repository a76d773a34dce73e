import type { EndpointView } from '@funcx/protocol';
import type { ISignal } from '@lumino/signaling';

import type { TaskActivity } from '../models/tasks-model';

export type { TaskActivity };

/**
 * Everything the map reads and does, so the view stays apart from where the data comes from
 * (the plugin adapts the extension's endpoints model and default-endpoint API to it).
 */
export interface IMapSource {
  /** Every endpoint the user can see, with live status. */
  readonly endpoints: readonly EndpointView[];
  /** Emits when any endpoint's status, load or location changes. */
  readonly endpointsChanged: ISignal<unknown, unknown>;
  /** A task started or finished on an endpoint (the marker pulses). */
  readonly taskActivity: ISignal<unknown, TaskActivity>;
  /** Name of the notebook whose default endpoint a click sets, or null when no notebook is open. */
  readonly notebookName: string | null;
  /** That notebook's default endpoint (id or name), or null. */
  readonly defaultEndpoint: string | null;
  /** Emits when the current notebook or its default endpoint changes. */
  readonly defaultChanged: ISignal<unknown, unknown>;
  /** The hub connection: while it is not connected, the markers show the last status known. */
  readonly connectionState: 'connected' | 'connecting' | 'disconnected';
  /** What went wrong with the connection, with what to check; null while connected. */
  readonly connectionError: string | null;
  readonly connectionChanged: ISignal<unknown, unknown>;
  /** Make `endpoint` the current notebook's default; rejects with a message a user can act on. */
  setDefaultEndpoint(endpoint: EndpointView): Promise<void>;
}
