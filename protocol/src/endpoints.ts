import type { SessionStatus } from './sessions.js';
import type { EndpointCapabilities } from './capabilities.js';
import type { Sharing } from './sharing.js';

export interface GeoLocation {
  lat: number;
  lon: number;
}

export interface EndpointRegistration {
  name: string;
  location?: GeoLocation;
  site?: string;
  public?: boolean;
}

export interface EndpointRecord {
  endpoint_id: string;
  name: string;
  owner: string;
  location?: GeoLocation;
  site?: string;
  public: boolean;
  created_at: number;
  /** Users and groups besides the owner who may use it (absent in records from before sharing: nobody). */
  shared_with?: Sharing;
  /** Users besides the owner who may change its sharing (not delete it, nor change its admins). */
  admins?: string[];
  /** The only functions it runs (ids); absent, any function. */
  allowed_functions?: string[];
  /** The languages and isolation levels its daemon said it runs, in its last hello (absent: Python in processes). */
  capabilities?: EndpointCapabilities;
}

/** Workers an endpoint keeps warm for one container image ("" for workers without a container). */
export interface WarmImage {
  image: string;
  workers: number;
  /** Of those, how many are free for a task now. */
  idle: number;
}

/** A block's state: asked of the scheduler (pending), its managers connected (running), taking no more tasks (draining). */
export const BLOCK_STATES = ['pending', 'running', 'draining'] as const;
export type BlockState = (typeof BLOCK_STATES)[number];

/** One block an endpoint's provider started (a Slurm or PBS job, a pod, a local process group). */
export interface BlockStatus {
  /** The scheduler's id for it (Slurm job id, PBS job id, pod name, pid for the local provider). */
  job_id: string;
  state: BlockState;
  /** Nodes asked for, and how many of them have a connected manager. */
  nodes: number;
  nodes_connected: number;
  workers: number;
  workers_busy: number;
}

/** "job 1234 running, 2/2 node(s), 128 worker(s) (17 busy)": how every client shows a block. */
export function describeBlock(block: BlockStatus): string {
  return `job ${block.job_id} ${block.state}, ${block.nodes_connected}/${block.nodes} node(s), ${block.workers} worker(s) (${block.workers_busy} busy)`;
}

/** Most blocks an endpoint reports (the hub keeps no more). */
export const MAX_REPORTED_BLOCKS = 64;

/** What an endpoint daemon reports in each heartbeat. */
export interface EndpointLoad {
  workers_total: number;
  workers_busy: number;
  queued: number;
  running: number;
  /** Container images with warm workers, most workers first. */
  warm_images: WarmImage[];
  /** Its blocks, when its provider starts them (absent from endpoints that predate blocks). */
  blocks?: BlockStatus[];
  /** The provider its blocks come from (local, slurm, pbs, kubernetes). */
  provider?: string;
  /**
   * Its sessions (every user's). The hub keeps them for routing and for `GET /v1/sessions`, which shows each
   * user their own; an endpoint's status shows others only how many there are (`session_count`).
   */
  sessions?: SessionStatus[];
  /** Most sessions it holds at once (config max_sessions), and how long an idle one lasts (session_idle_s). */
  max_sessions?: number;
  session_idle_s?: number;
}

export interface EndpointStatus extends Omit<EndpointLoad, 'sessions'> {
  online: boolean;
  /** How many sessions it holds (its users see their own with GET /v1/sessions). */
  session_count?: number;
  /** Epoch ms of the last heartbeat, if any was ever received. */
  last_heartbeat?: number;
}

/** An endpoint as the hub shows it: its record with its live status. */
export interface EndpointView extends EndpointRecord {
  status: EndpointStatus;
}

export interface EndpointCreated {
  endpoint_id: string;
  /** Secret the endpoint daemon connects with; shown once. */
  endpoint_token: string;
}

/** How every client shows an endpoint's state (CLI, sidebar, map). */
export type EndpointDisplayStatus = 'online' | 'busy' | 'offline';

/** `busy` when every worker is busy: a task sent now would wait for one. */
export function endpointStatus(endpoint: EndpointView): EndpointDisplayStatus {
  const { status } = endpoint;
  if (!status.online) return 'offline';
  return status.workers_total > 0 && status.workers_busy >= status.workers_total ? 'busy' : 'online';
}

/** Whether two loads differ in anything a client shows. */
export function loadChanged(a: EndpointLoad, b: EndpointLoad): boolean {
  if (a.workers_total !== b.workers_total || a.workers_busy !== b.workers_busy || a.queued !== b.queued || a.running !== b.running) return true;
  if (a.warm_images.length !== b.warm_images.length) return true;
  if (JSON.stringify(a.blocks) !== JSON.stringify(b.blocks)) return true;
  if ((a.sessions?.length ?? 0) !== (b.sessions?.length ?? 0)) return true;
  for (let i = 0; i < a.warm_images.length; i++) {
    const x = a.warm_images[i];
    const y = b.warm_images[i];
    if (x.image !== y.image || x.workers !== y.workers || x.idle !== y.idle) return true;
  }
  return false;
}
