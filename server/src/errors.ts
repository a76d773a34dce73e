import { FuncxError, MAX_JSON_DEPTH, MAX_SUBMISSION_BYTES, formatBytes, jsonDepth, jsonTextDepth } from '@funcx/protocol';

/** Longest path parameter (an id, a name, owner/name) the router accepts. */
export const MAX_PATH_PARAM_LENGTH = 200;

function tooDeep(what: string): FuncxError {
  return new FuncxError(
    'FUNCX_NESTED_TOO_DEEP',
    `${what} nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep (the hub's limit): ` +
      'flatten the data, or send it as a string and parse it in the function',
  );
}

/** The error for JSON text nested past MAX_JSON_DEPTH, or undefined. */
export function textDepthError(text: string, what: string): FuncxError | undefined {
  return jsonTextDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH ? tooDeep(what) : undefined;
}

/** The error for a value nested past MAX_JSON_DEPTH, or undefined. */
export function depthError(value: unknown, what: string): FuncxError | undefined {
  return jsonDepth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH ? tooDeep(what) : undefined;
}

export function payloadTooLarge(limit = MAX_SUBMISSION_BYTES): FuncxError {
  return new FuncxError(
    'FUNCX_PAYLOAD_TOO_LARGE',
    `The body is larger than the hub accepts (the limit is ${formatBytes(limit)}): ` +
      'send fewer tasks per batch or pass large data by reference',
  );
}

interface FrameworkError {
  code?: string;
  statusCode?: number;
  message?: string;
  validation?: unknown;
}

/** Turns anything thrown while serving a request into a FuncxError (the REST body comes from it). */
export function toFuncxError(error: unknown, bodyLimit = MAX_SUBMISSION_BYTES): FuncxError {
  if (error instanceof FuncxError) return error;
  const framework = (error ?? {}) as FrameworkError;
  if (framework.validation) return new FuncxError('FUNCX_BAD_REQUEST', framework.message);
  switch (framework.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return payloadTooLarge(bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new FuncxError('FUNCX_BAD_REQUEST', 'Send the body as JSON with "Content-Type: application/json"');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new FuncxError('FUNCX_BAD_REQUEST', 'The Content-Length header does not match the body');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new FuncxError('FUNCX_URI_TOO_LONG', `A part of the path is longer than ${MAX_PATH_PARAM_LENGTH} characters: ids and names are shorter`);
    case 'FST_ERR_BAD_URL':
      return new FuncxError('FUNCX_BAD_REQUEST', 'The path is not a valid URL: percent-encode ids and names');
  }
  const status = framework.statusCode ?? 500;
  if (status === 413) return payloadTooLarge(bodyLimit);
  if (status === 429) return new FuncxError('FUNCX_RATE_LIMITED', framework.message);
  if (status >= 400 && status < 500) return new FuncxError('FUNCX_BAD_REQUEST', framework.message);
  return new FuncxError('FUNCX_INTERNAL');
}
