import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify';
import { FuncxError } from '@funcx/protocol';
import { registerAuth } from './auth/hook.js';
import { createHubContext, type HubContext } from './context.js';
import { MAX_PATH_PARAM_LENGTH, textDepthError, toFuncxError } from './errors.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, type HubOptions } from './options.js';
import { auditRoutes } from './routes/audit.js';
import { endpointRoutes } from './routes/endpoints.js';
import { functionRoutes } from './routes/functions.js';
import { healthRoutes } from './routes/health.js';
import { meRoutes } from './routes/me.js';
import { groupRoutes } from './routes/groups.js';
import { metricsRoutes } from './routes/metrics.js';
import { sharingRoutes } from './routes/sharing.js';
import { taskRoutes } from './routes/tasks.js';
import { userRoutes } from './routes/users.js';
import { describeValidationErrors } from './schemas.js';
import { HUB_VERSION } from './version.js';

export interface HubApp {
  app: FastifyInstance;
  hub: HubContext;
}

/** Answers what Node refuses before Fastify sees a request (a body that never finishes, a malformed request line). */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) return;
  const funcxError = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? new FuncxError('FUNCX_REQUEST_TIMEOUT', 'The request did not arrive in time: send the whole body at once, and less of it')
    : new FuncxError('FUNCX_BAD_REQUEST', 'The request is not valid HTTP');
  const body = JSON.stringify(funcxError.toBody());
  socket.end(
    `HTTP/1.1 ${funcxError.statusCode} ${funcxError.toBody().error}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Most bytes of a refused body read and thrown away before the connection is closed instead. */
const DISCARD_MAX_BYTES = 256 * 1024 * 1024;

/** Reads the rest of a refused request's body and drops it, so the answer already sent reaches the client. */
function discardBody(request: IncomingMessage): void {
  let discarded = 0;
  request.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_MAX_BYTES) request.socket.destroy();
  });
  request.resume();
}

/** Builds the hub's Fastify instance: plugins in order, then routes. Not listening yet; see startHub. */
export async function buildApp(options: HubOptions = {}): Promise<HubApp> {
  const hub = await createHubContext(options);
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const app = Fastify({
    loggerInstance: hub.log,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: hub.bodyLimit,
    requestTimeout: requestTimeoutMs,
    // Node applies a request timeout only when the server is created with it, and checks it on an interval
    // (by default 30 s, which would let a body that never finishes linger that long).
    http: { requestTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs) },
    clientErrorHandler: answerClientError,
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    // Errors the router raises before a route runs (a path part too long, a malformed URL) answer like the rest.
    frameworkErrors: (error, _request, reply) => {
      const funcxError = toFuncxError(error, hub.bodyLimit);
      void (reply as FastifyReply).code(funcxError.statusCode).send(funcxError.toBody());
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, allowUnionTypes: true } },
    schemaErrorFormatter: (errors, dataVar) => new Error(describeValidationErrors(errors, dataVar)),
  });

  await app.register(cors, { origin: '*', methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'] });

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    // An empty body is no body: routes that need one say so through their schema.
    if ((body as string).length === 0) {
      done(null, undefined);
      return;
    }
    // Measured before parsing: a deeply nested body would otherwise reach code that recurses (serialisers).
    const depthError = textDepthError(body as string, 'The body');
    if (depthError) {
      done(depthError, undefined);
      return;
    }
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(new FuncxError('FUNCX_BAD_REQUEST', `The body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });

  app.setErrorHandler((error, request, reply) => {
    const funcxError = toFuncxError(error, hub.bodyLimit);
    if (funcxError.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    if (funcxError.retryAfterS !== undefined) reply.header('retry-after', String(funcxError.retryAfterS));
    if (funcxError.code === 'FUNCX_PAYLOAD_TOO_LARGE') {
      // Closing now would reset the connection while the client still sends, and it would never read the 413.
      reply.removeHeader('connection');
      discardBody(request.raw);
    }
    reply.code(funcxError.statusCode).send(funcxError.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new FuncxError('FUNCX_ROUTE_NOT_FOUND', `No route ${request.method} ${request.url}: the API is under /v1 (see /docs)`);
    reply.code(404).send(error.toBody());
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'funcX hub', description: 'Register functions and endpoints, run tasks', version: HUB_VERSION },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });

  app.addHook('onClose', async () => {
    hub.groups.stop();
    hub.sessions.stop();
  });

  registerAuth(app, hub);
  healthRoutes(app, hub);
  meRoutes(app);
  metricsRoutes(app, hub);
  functionRoutes(app, hub);
  endpointRoutes(app, hub);
  taskRoutes(app, hub);
  sharingRoutes(app, hub);
  userRoutes(app, hub);
  groupRoutes(app, hub);
  auditRoutes(app, hub);
  return { app, hub };
}
