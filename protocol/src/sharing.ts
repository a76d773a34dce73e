import type { EndpointRecord } from './endpoints.js';
import type { FunctionRecord } from './functions.js';

/** Who besides its owner may use a function or an endpoint, by user name and by group name. */
export interface Sharing {
  users: string[];
  groups: string[];
}

/**
 * `PUT /v1/functions/:id/sharing` and `PUT /v1/endpoints/:ref/sharing`: each field given replaces what was there;
 * fields left out stay. `admins` and `allowed_functions` are for endpoints only (`null` allows any function).
 */
export interface SharingUpdate {
  public?: boolean;
  users?: string[];
  groups?: string[];
  admins?: string[];
  allowed_functions?: string[] | null;
}

/** The sharing of a function or an endpoint, as the hub answers a change or shows a record. */
export interface SharingState {
  public: boolean;
  shared_with: Sharing;
  /** Endpoints only: users besides the owner who may change its sharing. */
  admins?: string[];
  /** Endpoints only: the functions it runs; absent, any function. */
  allowed_functions?: string[];
}

/** Longest list of users, groups or admins in one sharing. */
export const MAX_SHARING_ENTRIES = 1_000;
/** Longest list of allowed functions of one endpoint. */
export const MAX_ALLOWED_FUNCTIONS = 10_000;

export function emptySharing(): Sharing {
  return { users: [], groups: [] };
}

/** The sharing of a record (a function or an endpoint, a view or a summary), absent lists as empty ones. */
export function sharingState(record: Pick<FunctionRecord, 'public' | 'shared_with'> | EndpointRecord): SharingState {
  const state: SharingState = { public: record.public, shared_with: record.shared_with ?? emptySharing() };
  if ('endpoint_id' in record) {
    state.admins = record.admins ?? [];
    if (record.allowed_functions) state.allowed_functions = record.allowed_functions;
  }
  return state;
}
