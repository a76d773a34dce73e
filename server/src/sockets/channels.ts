import type { ClientChannel } from '../events/client-channel.js';
import type { EndpointChannel } from '../tasks/endpoint-channel.js';
import type { ClientNamespace, EndpointSocket } from './types.js';

/** The Socket.IO room every client socket of a user joins. */
export function userRoom(user: string): string {
  return `user:${user}`;
}

/** The /client namespace as the fanout sees it: events to everyone, or to some users' rooms. */
export function clientChannel(namespace: ClientNamespace): ClientChannel {
  return {
    toAll: (event, ...args) => namespace.emit(event, ...args),
    toUsers: (users, event, ...args) => namespace.to(users.map(userRoom)).emit(event, ...args),
    toAllBut: (users, event, ...args) => namespace.except(users.map(userRoom)).emit(event, ...args),
  };
}

/** How long the hub waits for an endpoint to answer a read or a write of its data store. */
const DATA_TIMEOUT_MS = 60_000;

/** One endpoint daemon's socket as the dispatcher sees it. */
export function endpointChannel(socket: EndpointSocket): EndpointChannel {
  return {
    dispatch: (batch) => socket.emit('tasks:dispatch', batch),
    cancel: (taskIds) => socket.emit('tasks:cancel', { task_ids: taskIds }),
    endSessions: (sessions) => socket.emit('sessions:end', { sessions }),
    close: () => socket.disconnect(true),
    readData: (request) => socket.timeout(DATA_TIMEOUT_MS).emitWithAck('data:get', request),
    writeData: (request) => socket.timeout(DATA_TIMEOUT_MS).emitWithAck('data:put', request),
    readStream: (request) => socket.timeout(DATA_TIMEOUT_MS).emitWithAck('data:stream', request),
    sendInputs: (request) => socket.timeout(DATA_TIMEOUT_MS).emitWithAck('data:send', request),
  };
}
