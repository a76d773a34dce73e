import type { Server } from 'socket.io';
import { CLIENT_NAMESPACE, FuncxError, type ErrorBody } from '@funcx/protocol';
import { depthError, payloadTooLarge, toFuncxError } from '../errors.js';
import { authenticate, hashToken } from '../auth/tokens.js';
import type { HubContext } from '../context.js';
import { describeValidationErrors, validators } from '../schemas.js';
import { clientChannel, userRoom } from './channels.js';
import { answer, connectError } from './errors.js';
import type { ClientNamespace, ClientSocket } from './types.js';

function validate(validator: (typeof validators)[keyof typeof validators], message: unknown, name: string): void {
  if (!validator(message)) throw new FuncxError('FUNCX_BAD_REQUEST', describeValidationErrors(validator.errors, name));
}

/**
 * `/client`: users connect with their token; each socket joins its user's room and so receives the events of
 * all that user's tasks and the status of endpoints it can see. It can also submit, subscribe and cancel.
 */
export function registerClientNamespace(io: Server, hub: HubContext): void {
  const namespace = io.of(CLIENT_NAMESPACE) as ClientNamespace;
  const internal = (error: unknown) => hub.log.error({ err: error }, 'client message failed');
  hub.fanout.attach(clientChannel(namespace));
  hub.sessions.attach(namespace, hub.options.tokenCheckIntervalMs);

  namespace.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    authenticate(hub.store, typeof token === 'string' ? token : undefined, 'user')
      .then(async (user) => {
        socket.data.user = user;
        socket.data.tokenHash = hashToken(token as string);
        // Connected once other hubs' events of the user reach this one: what the client reads next is not older.
        await hub.interest.ready(user);
        next();
      })
      .catch((error: unknown) => next(connectError(error)));
  });

  namespace.on('connection', (socket: ClientSocket) => {
    const user = socket.data.user;
    socket.join(userRoom(user));
    hub.interest.acquire(user);
    socket.on('disconnect', () => hub.interest.release(user));
    limitEvents(socket, hub);

    socket.on('tasks:submit', (request, ack) => {
      answer(ack, async () => {
        validate(validators.taskBatch, request, 'tasks:submit');
        return hub.tasks.submit(user, request.tasks, true, 'socket');
      }, internal);
    });

    socket.on('tasks:subscribe', (request, ack) => {
      answer(ack, async () => {
        validate(validators.taskIdList, request, 'tasks:subscribe');
        return { tasks: await hub.tasks.subscribe(user, request.task_ids) };
      }, internal);
    });

    socket.on('tasks:cancel', (request, ack) => {
      answer(ack, async () => {
        validate(validators.taskIdList, request, 'tasks:cancel');
        return { cancelled: await hub.tasks.cancel(user, request.task_ids, false) };
      }, internal);
    });

    socket.on('endpoints:list', (ack) => {
      answer(ack, async () => ({ endpoints: await hub.endpoints.list(user) }), internal);
    });
  });
}

/**
 * The limits REST has, for every event of a client socket: its size (the engine's last packet, which carries
 * it), its nesting, the user's request rate and, for submissions, the user's submission rate. An event over a
 * limit is answered through its ack with the error and goes no further.
 */
function limitEvents(socket: ClientSocket, hub: HubContext): void {
  let packetBytes = 0;
  socket.conn.on('packet', (packet: { type: string; data?: unknown }) => {
    if (packet.type === 'message') packetBytes = typeof packet.data === 'string' ? packet.data.length : 0;
  });
  socket.use((event, next) => {
    const last = event[event.length - 1];
    const ack = typeof last === 'function' ? (last as (response: { error: ErrorBody }) => void) : undefined;
    const name = String(event[0]);
    try {
      if (packetBytes > hub.bodyLimit) throw payloadTooLarge(hub.bodyLimit);
      hub.limits.requests.take(socket.data.user);
      if (name === 'tasks:submit') hub.limits.submissions.take(socket.data.user);
      const deep = depthError(ack ? event.slice(1, -1) : event.slice(1), name);
      if (deep) throw deep;
    } catch (error) {
      ack?.({ error: toFuncxError(error).toBody() });
      return;
    }
    next();
  });
}
