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
}

/** What an endpoint daemon reports in each heartbeat. */
export interface EndpointLoad {
  workers_total: number;
  workers_busy: number;
  queued: number;
  running: number;
  warm_images: string[];
}

export interface EndpointStatus extends EndpointLoad {
  online: boolean;
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
