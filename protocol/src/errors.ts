/** Every error the hub, the CLI and the extension report, with its HTTP status. */
export const ERRORS = {
  FUNCX_BAD_REQUEST: { statusCode: 400, message: 'The request is malformed' },
  FUNCX_UNAUTHORIZED: {
    statusCode: 401,
    message: 'A token is required: send "Authorization: Bearer <token>" (see ~/.funcx/credentials.json)',
  },
  FUNCX_NESTED_TOO_DEEP: { statusCode: 400, message: 'The message nests arrays or objects too deeply' },
  FUNCX_FORBIDDEN: { statusCode: 403, message: 'This belongs to another user and is not shared' },
  FUNCX_FUNCTION_NOT_PERMITTED: { statusCode: 403, message: 'This endpoint does not run that function' },
  FUNCX_WASM_INVALID: { statusCode: 400, message: 'The WebAssembly module is not one an endpoint can run' },
  FUNCX_ENDPOINT_INCAPABLE: { statusCode: 409, message: 'No endpoint you named can run this function' },
  FUNCX_FUNCTION_NOT_FOUND: { statusCode: 404, message: 'No such function' },
  FUNCX_ENDPOINT_NOT_FOUND: { statusCode: 404, message: 'No such endpoint' },
  FUNCX_ENDPOINT_GROUP_NOT_FOUND: { statusCode: 404, message: 'No such endpoint group' },
  FUNCX_ENDPOINT_GROUP_EMPTY: { statusCode: 409, message: 'The endpoint group has no endpoints' },
  FUNCX_TASK_NOT_FOUND: { statusCode: 404, message: 'No such task' },
  FUNCX_SESSION_NOT_FOUND: { statusCode: 404, message: 'No such session' },
  FUNCX_USER_NOT_FOUND: { statusCode: 404, message: 'No such user' },
  FUNCX_GROUP_NOT_FOUND: { statusCode: 404, message: 'No such group' },
  FUNCX_FLOW_INVALID: { statusCode: 400, message: 'The flow definition is invalid' },
  FUNCX_FLOW_NOT_FOUND: { statusCode: 404, message: 'No such flow' },
  FUNCX_FLOW_RUN_NOT_FOUND: { statusCode: 404, message: 'No such flow run' },
  FUNCX_FLOW_TRIGGER_NOT_FOUND: { statusCode: 404, message: 'No such flow trigger' },
  FUNCX_FLOW_RUN_FINISHED: { statusCode: 409, message: 'The flow run has already finished' },
  FUNCX_ROUTE_NOT_FOUND: { statusCode: 404, message: 'No such route' },
  FUNCX_NAME_TAKEN: { statusCode: 409, message: 'That name is already taken' },
  FUNCX_REQUEST_TIMEOUT: { statusCode: 408, message: 'The request did not arrive in time' },
  FUNCX_TASK_FINISHED: { statusCode: 409, message: 'The task has already finished' },
  FUNCX_TASK_ID_TAKEN: { statusCode: 409, message: 'A task with this id exists: choose another (a fresh UUID)' },
  FUNCX_PAYLOAD_TOO_LARGE: { statusCode: 413, message: 'The body is larger than the hub accepts' },
  FUNCX_URI_TOO_LONG: { statusCode: 414, message: 'A part of the path is longer than the hub accepts' },
  FUNCX_RATE_LIMITED: { statusCode: 429, message: 'Too many requests; retry later' },
  FUNCX_DATA_NOT_FOUND: { statusCode: 404, message: 'No such data reference of yours' },
  FUNCX_DATA_STORE_FULL: { statusCode: 413, message: "The value does not fit in your share of the endpoint's data store" },
  FUNCX_DATA_UNAVAILABLE: { statusCode: 409, message: "The endpoint that holds the data cannot be reached through this hub" },
  FUNCX_INTERNAL: { statusCode: 500, message: 'The hub failed unexpectedly' },
  FUNCX_HUB_UNREACHABLE: {
    statusCode: 503,
    message: 'The hub could not be reached: check that funcx-hub is running and that the hub URL points to it',
  },
} as const satisfies Record<string, { statusCode: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** The JSON body of every error response (REST), ack error (Socket.IO) and CLI message. */
export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  error: string;
  message: string;
  /** With 429: seconds to wait before trying again (REST also sends it as Retry-After). */
  retry_after_s?: number;
  /** With 429: the same wait in milliseconds, for clients that retry on their own. */
  retry_after_ms?: number;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An error with a stable code; `detail` says what to change. */
export class FuncxError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** With FUNCX_RATE_LIMITED: seconds until a retry can succeed. */
  readonly retryAfterS?: number;
  /** The same wait in milliseconds, when known that precisely. */
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, detail?: string, retryAfterS?: number, retryAfterMs?: number) {
    super(detail ?? ERRORS[code].message);
    this.name = 'FuncxError';
    this.code = code;
    this.statusCode = ERRORS[code].statusCode;
    if (retryAfterS !== undefined) this.retryAfterS = retryAfterS;
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
  }

  toBody(): ErrorBody {
    const body: ErrorBody = {
      statusCode: this.statusCode,
      code: this.code,
      error: STATUS_NAMES[this.statusCode] ?? 'Error',
      message: this.message,
    };
    if (this.retryAfterS !== undefined) body.retry_after_s = this.retryAfterS;
    if (this.retryAfterMs !== undefined) body.retry_after_ms = this.retryAfterMs;
    return body;
  }

  static fromBody(body: ErrorBody): FuncxError {
    const retryAfter = typeof body.retry_after_s === 'number' ? body.retry_after_s : undefined;
    const retryAfterMs = typeof body.retry_after_ms === 'number' ? body.retry_after_ms : undefined;
    return new FuncxError(body.code in ERRORS ? body.code : 'FUNCX_INTERNAL', body.message, retryAfter, retryAfterMs);
  }
}

export function isErrorBody(value: unknown): value is ErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ErrorBody).code === 'string' &&
    typeof (value as ErrorBody).message === 'string'
  );
}
