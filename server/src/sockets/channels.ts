import type { ClientChannel } from '../events/client-channel.js';
import type { EndpointChannel } from '../tasks/endpoint-channel.js';
import type { DoneReceipts } from './done-receipts.js';
import type { ClientNamespace, EndpointSocket } from './types.js';

/** The Socket.IO room every client socket of a user joins. */
export function userRoom(user: string): string {
  return `user:${user}`;
}

/**
 * The /client namespace as the fanout sees it: events to everyone, or to some users' rooms. Nothing is sent
 * where no socket would get it: Socket.IO encodes a packet before it looks for the room's sockets, and a hub
 * beside others has every user's events to send whether their clients are connected to it or not.
 */
export function clientChannel(namespace: ClientNamespace): ClientChannel {
  return {
    toAll: (event, ...args) => {
      if (namespace.sockets.size > 0) namespace.emit(event, ...args);
    },
    toUsers: (users, event, ...args) => {
      const present = users.map(userRoom).filter((room) => namespace.adapter.rooms.has(room));
      if (present.length > 0) namespace.to(present).emit(event, ...args);
    },
    toAllBut: (users, event, ...args) => {
      if (namespace.sockets.size > 0) namespace.except(users.map(userRoom)).emit(event, ...args);
    },
    reconnectAll: () => {
      const count = namespace.sockets.size;
      namespace.disconnectSockets(true);
      return count;
    },
  };
}

/** How long the hub waits for an endpoint to answer a read or a write of its data store. */
const DATA_TIMEOUT_MS = 60_000;

/** One endpoint daemon's socket as the dispatcher sees it; each dispatch carries the receipts owed to it. */
export function endpointChannel(socket: EndpointSocket, receipts: DoneReceipts): EndpointChannel {
  return {
    dispatch: (batch) => {
      const recorded = receipts.take();
      socket.emit('tasks:dispatch', recorded ? { ...batch, recorded } : batch);
    },
    cancel: (taskIds) => socket.emit('tasks:cancel', { task_ids: taskIds }),
    endSessions: (sessions) => socket.emit('sessions:end', { sessions }),
    close: () => socket.disconnect(true),
    readData: (request) => socket.timeout(DATA_TIMEOUT_MS).emitWithAck('data:get', request),
    writeData: (request) => socket.timeout(DATA_TIMEOUT_MS).emitWithAck('data:put', request),
    readStream: (request) => socket.timeout(DATA_TIMEOUT_MS).emitWithAck('data:stream', request),
    sendInputs: (request) => socket.timeout(DATA_TIMEOUT_MS).emitWithAck('data:send', request),
  };
}
