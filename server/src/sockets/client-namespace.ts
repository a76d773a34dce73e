import type { Server } from 'socket.io';
import { CLIENT_NAMESPACE, FuncxError } from '@funcx/protocol';
import { authenticate } from '../auth/tokens.js';
import type { HubContext } from '../context.js';
import { userRoom } from '../events/fanout.js';
import { describeValidationErrors, validators } from '../schemas.js';
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
  hub.fanout.attach(namespace);

  namespace.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    authenticate(hub.store, typeof token === 'string' ? token : undefined, 'user')
      .then((user) => {
        socket.data.user = user;
        next();
      })
      .catch((error: unknown) => next(connectError(error)));
  });

  namespace.on('connection', (socket: ClientSocket) => {
    const user = socket.data.user;
    socket.join(userRoom(user));

    socket.on('tasks:submit', (request, ack) => {
      answer(ack, async () => {
        validate(validators.taskBatch, request, 'tasks:submit');
        return hub.tasks.submit(user, request.tasks, true);
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
