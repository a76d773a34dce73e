import type { Sharing } from './sharing.js';

/** The hub's routing policies, by name (server/src/routing holds one file each). */
export const POLICY_NAMES = ['random', 'round-robin', 'least-loaded', 'warming-aware'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** The policy a task is routed with when neither its submission nor its endpoint group names one. */
export const DEFAULT_POLICY: PolicyName = 'warming-aware';

export function isPolicyName(value: unknown): value is PolicyName {
  return typeof value === 'string' && (POLICY_NAMES as readonly string[]).includes(value);
}

/** How a submission names an endpoint group: `group:NAME` (yours), `group:OWNER/NAME` (shared with you) or `group:ID`. */
export const GROUP_PREFIX = 'group:';

/** Whether an endpoint reference names an endpoint group (`group:…`) rather than one endpoint. */
export function isGroupRef(ref: string): boolean {
  return ref.startsWith(GROUP_PREFIX);
}

/** How `user` writes a group: `group:NAME` when it is their own, `group:OWNER/NAME` when it is shared with them. */
export function groupRef(user: string, group: { owner: string; name: string }): string {
  return GROUP_PREFIX + (group.owner === user ? group.name : `${group.owner}/${group.name}`);
}

/** Where a task may go, as a submission writes it: one endpoint or group (`"local"`, `"group:gpu"`), or several endpoints. */
export type EndpointTarget = string | string[];

/** Most endpoints a submission may name directly, and most members of one endpoint group. */
export const MAX_TARGET_ENDPOINTS = 100;

/** Why a task went where it did, when its submission let the hub choose (several endpoints or a group). */
export interface TaskRouting {
  policy: PolicyName;
  /** In words: "warm for image X, 1 idle worker", "next in turn of 3", "least loaded: 0 of 4 workers busy, 0 queued". */
  reason: string;
  /** The endpoints (ids) it could have gone to: those of the target that the submitter may use and that run its function. */
  candidates: string[];
  /** The group it was submitted to, as the submitter wrote it (`group:gpu`); absent when it named endpoints. */
  group?: string;
}

/** `POST /v1/endpoint-groups`. */
export interface EndpointGroupCreation {
  name: string;
  /** Endpoints as you write them: ids, names of your own, `owner/name` for ones shared with you. */
  endpoints: string[];
  /** The policy its tasks are routed with unless a submission names one (default: the hub's). */
  policy?: PolicyName;
  public?: boolean;
}

/** `PUT /v1/endpoint-groups/:ref`: each field given replaces what was there (`policy: null`: the hub's default). */
export interface EndpointGroupUpdate {
  endpoints?: string[];
  policy?: PolicyName | null;
}

/** An endpoint group as the store keeps it. */
export interface EndpointGroupRecord {
  group_id: string;
  name: string;
  owner: string;
  /** Member endpoint ids, in the order they were given. */
  endpoints: string[];
  policy?: PolicyName;
  public: boolean;
  shared_with: Sharing;
  created_at: number;
}

/** One member of a group as a user sees it: named and with its status only when that user may use it. */
export interface EndpointGroupMember {
  endpoint_id: string;
  /** Whether the viewer may run tasks on it; tasks the viewer routes to the group never go to the others. */
  usable: boolean;
  /** How the viewer writes it (`name` or `owner/name`), when usable. */
  ref?: string;
  online?: boolean;
}

/** An endpoint group as the hub shows it to a user. */
export interface EndpointGroupView extends EndpointGroupRecord {
  /** How the viewer names it in a submission: `group:NAME` or `group:OWNER/NAME`. */
  ref: string;
  members: EndpointGroupMember[];
}
