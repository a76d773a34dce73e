import type { Server } from 'socket.io';
import { CLIENT_NAMESPACE, ENDPOINT_NAMESPACE, FuncxError } from '@funcx/protocol';
import { connectError } from './errors.js';

/** The default namespace serves nothing: a connection to it is refused, saying where to connect instead. */
export function refuseDefaultNamespace(io: Server): void {
  io.of('/').use((_socket, next) => {
    next(connectError(new FuncxError(
      'FUNCX_ROUTE_NOT_FOUND',
      `This hub serves Socket.IO on ${CLIENT_NAMESPACE} (users, with a user token) and ${ENDPOINT_NAMESPACE} (endpoint daemons), not on /`,
    )));
  });
}
