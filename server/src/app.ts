import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify';
import { auth } from './auth/hook.js';
import { createHubContext, type HubContext } from './context.js';
import { MAX_PATH_PARAM_LENGTH, toFuncxError } from './errors.js';
import { answerClientError } from './http/client-errors.js';
import { errorReplies } from './http/error-replies.js';
import { hubContext } from './http/hub-context.js';
import { jsonBody } from './http/json-body.js';
import { openApi } from './http/openapi.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, type HubOptions } from './options.js';
import { auditRoutes } from './routes/audit.js';
import { endpointGroupRoutes } from './routes/endpoint-groups.js';
import { endpointRoutes } from './routes/endpoints.js';
import { dataRoutes } from './routes/data.js';
import { eventRoutes } from './routes/events.js';
import { flowRunRoutes } from './routes/flow-runs.js';
import { flowTriggerRoutes } from './routes/flow-triggers.js';
import { flowRoutes } from './routes/flows.js';
import { functionRoutes } from './routes/functions.js';
import { groupRoutes } from './routes/groups.js';
import { healthRoutes } from './routes/health.js';
import { meRoutes } from './routes/me.js';
import { metricsRoutes } from './routes/metrics.js';
import { sessionRoutes } from './routes/sessions.js';
import { sharingRoutes } from './routes/sharing.js';
import { taskRoutes } from './routes/tasks.js';
import { userRoutes } from './routes/users.js';
import { describeValidationErrors } from './schemas.js';

export interface HubApp {
  app: FastifyInstance;
  hub: HubContext;
}

/** The REST API, every part under /v1. */
const API_ROUTES = [healthRoutes, meRoutes, functionRoutes, endpointRoutes, endpointGroupRoutes, taskRoutes, sessionRoutes, eventRoutes, sharingRoutes, userRoutes, groupRoutes, auditRoutes, flowRoutes, flowRunRoutes, flowTriggerRoutes, dataRoutes];

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

  await app.register(hubContext, { hub });
  await app.register(cors, { origin: '*', methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'] });
  await app.register(jsonBody);
  await app.register(errorReplies);
  await app.register(openApi);
  await app.register(auth);
  await app.register(metricsRoutes);
  await app.register(
    async (api) => {
      for (const routes of API_ROUTES) await api.register(routes);
    },
    { prefix: '/v1' },
  );
  return { app, hub };
}
