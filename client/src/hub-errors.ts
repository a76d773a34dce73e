import { ERRORS, FuncxError, isErrorBody, type ErrorCode } from '@funcx/protocol';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'FUNCX_BAD_REQUEST',
  401: 'FUNCX_UNAUTHORIZED',
  403: 'FUNCX_FORBIDDEN',
  404: 'FUNCX_ROUTE_NOT_FOUND',
  413: 'FUNCX_PAYLOAD_TOO_LARGE',
  429: 'FUNCX_RATE_LIMITED',
  503: 'FUNCX_HUB_UNREACHABLE',
};

/**
 * The FuncxError for a non-2xx response, from its ErrorBody when it has one, else from its status (and its
 * Retry-After header, for a 429 from something in front of the hub).
 */
export function errorFromResponse(status: number, statusText: string, body: unknown, retryAfter?: string | null): FuncxError {
  if (isErrorBody(body) && body.code in ERRORS) return FuncxError.fromBody(body);
  const code = CODE_BY_STATUS[status] ?? 'FUNCX_INTERNAL';
  const message = isErrorBody(body) ? body.message : `${ERRORS[code].message} (HTTP ${status} ${statusText})`.trim();
  const seconds = retryAfter ? Number(retryAfter) : NaN;
  return new FuncxError(code, message, Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined);
}

/** The error for a hub that did not answer at all (refused, DNS, timeout). */
export function unreachableError(hubUrl: string, cause?: unknown): FuncxError {
  const reason = describeCause(cause);
  return new FuncxError(
    'FUNCX_HUB_UNREACHABLE',
    `The funcX hub at ${hubUrl} could not be reached${reason ? ` (${reason})` : ''}: ` +
      'check that funcx-hub is running and that the hub URL (FUNCX_HUB_URL, credentials.json or the hubUrl setting) points to it',
  );
}

/** A FuncxError from whatever a socket ack or connect_error carried. */
export function errorFromSocket(value: unknown, fallback: ErrorCode = 'FUNCX_INTERNAL'): FuncxError {
  if (value instanceof FuncxError) return value;
  if (isErrorBody(value)) return errorFromResponse(value.statusCode, '', value);
  const data = (value as { data?: unknown } | null)?.data;
  if (isErrorBody(data)) return errorFromResponse(data.statusCode, '', data);
  const message = value instanceof Error ? value.message : String(value);
  return new FuncxError(fallback, message);
}

function describeCause(cause: unknown): string {
  if (!cause || typeof cause !== 'object') return '';
  const inner = (cause as { cause?: { code?: string; message?: string } }).cause;
  if (inner?.code) return inner.code;
  if (inner?.message) return inner.message;
  const name = (cause as { name?: string }).name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'no answer in time';
  return (cause as { message?: string }).message ?? '';
}
