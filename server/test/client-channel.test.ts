import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Server } from 'socket.io';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { clientChannel, userRoom } from '../src/sockets/channels.js';
import type { ClientNamespace } from '../src/sockets/types.js';
import { waitFor } from './support/hub.js';

/** The channel with its event types loosened: what is sent does not matter here, only where. */
const looseChannel = (namespace: ClientNamespace) =>
  clientChannel(namespace) as unknown as {
    toAll(event: string, payload: unknown): void;
    toUsers(users: string[], event: string, payload: unknown): void;
    toAllBut(users: string[], event: string, payload: unknown): void;
  };

/** The /client channel sends to the rooms that have sockets, and encodes nothing for rooms or namespaces without. */
describe('client channel', () => {
  const http = createServer();
  const io = new Server(http);
  const namespace = io.of('/client') as unknown as ClientNamespace;
  let broadcasts = 0;
  let client: Socket;
  let url: string;

  before(async () => {
    namespace.on('connection', (socket) => void socket.join(userRoom(String(socket.handshake.auth.user))));
    const broadcast = namespace.adapter.broadcast.bind(namespace.adapter);
    namespace.adapter.broadcast = (packet, options) => {
      broadcasts += 1;
      broadcast(packet, options);
    };
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/client`;
  });

  after(async () => {
    client?.disconnect();
    await io.close();
  });

  it('sends nothing while no client socket is connected', () => {
    const channel = looseChannel(namespace);
    channel.toAll('endpoint_update', {});
    channel.toUsers(['alice'], 'task_update', {});
    channel.toAllBut(['alice'], 'endpoint_update', {});
    assert.equal(broadcasts, 0);
  });

  it("reaches a connected user's socket, and skips users with none", async () => {
    client = connectSocket(url, { auth: { user: 'alice' }, transports: ['websocket'] });
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await waitFor(() => namespace.adapter.rooms.has(userRoom('alice')), 5000, "alice's room");
    const received: unknown[] = [];
    client.on('task_update', (event: unknown) => received.push(event));
    const channel = looseChannel(namespace);

    channel.toUsers(['bob'], 'task_update', { n: 0 });
    assert.equal(broadcasts, 0, 'a user with no socket on this hub costs no broadcast');

    channel.toUsers(['bob', 'alice'], 'task_update', { n: 1 });
    channel.toAll('task_update', { n: 2 });
    channel.toAllBut(['alice'], 'task_update', { n: 3 });
    channel.toAllBut(['bob'], 'task_update', { n: 4 });
    await waitFor(() => received.length >= 3, 5000, 'three events');
    assert.deepEqual(received, [{ n: 1 }, { n: 2 }, { n: 4 }]);
    assert.equal(broadcasts, 4);
  });
});
