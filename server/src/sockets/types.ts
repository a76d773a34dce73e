import type { Namespace, Socket } from 'socket.io';
import type {
  ClientToServerEvents,
  EndpointToServerEvents,
  ServerToClientEvents,
  ServerToEndpointEvents,
} from '@funcx/protocol';

export interface EndpointSocketData {
  endpointId: string;
}

export interface ClientSocketData {
  user: string;
  /** The sha256 of the socket's token, so that a revoked token closes its sockets. */
  tokenHash: string;
}

export type EndpointNamespace = Namespace<EndpointToServerEvents, ServerToEndpointEvents, Record<string, never>, EndpointSocketData>;
export type EndpointSocket = Socket<EndpointToServerEvents, ServerToEndpointEvents, Record<string, never>, EndpointSocketData>;
export type ClientNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, Record<string, never>, ClientSocketData>;
export type ClientSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, ClientSocketData>;
