import { FuncxError } from '@funcx/protocol';
import { errorFromResponse, unreachableError } from './hub-errors.js';
import { withRateLimitRetry } from './rate-limit-retry.js';

export interface RequestSettings {
  hubUrl: string;
  token: string;
  timeoutMs: number;
  maxBodyBytes: number;
  /** Times a request refused with 429 is sent again, after the wait the hub asks for. */
  rateLimitRetries: number;
}

/**
 * One REST call under /v1 with the bearer token; non-2xx answers and network failures reject with FuncxError.
 * A 429 is retried after the hub's retry time, up to `rateLimitRetries` times.
 */
export async function hubRequest<T>(settings: RequestSettings, method: string, path: string, body?: unknown): Promise<T> {
  const json = body === undefined ? undefined : checkBodySize(JSON.stringify(body), settings.maxBodyBytes);
  return withRateLimitRetry(() => requestOnce<T>(settings, method, path, json), settings.rateLimitRetries);
}

async function requestOnce<T>(settings: RequestSettings, method: string, path: string, json: string | undefined): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${settings.token}` };
  if (json !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${settings.hubUrl}/v1${path}`, {
      method,
      headers,
      body: json,
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
  } catch (error) {
    throw unreachableError(settings.hubUrl, error);
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!response.ok) throw errorFromResponse(response.status, response.statusText, parsed, response.headers.get('retry-after'));
  return parsed as T;
}

/** Refuses a body over the hub's cap here, before it travels (the hub would refuse it after). */
export function checkBodySize(json: string, maxBytes: number): string {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: count exactly only when that bound exceeds the cap.
  if (json.length * 3 <= maxBytes) return json;
  const bytes = new TextEncoder().encode(json).length;
  if (bytes <= maxBytes) return json;
  throw new FuncxError(
    'FUNCX_PAYLOAD_TOO_LARGE',
    `The request is ${formatMB(bytes)}, over the hub's limit of ${formatMB(maxBytes)}: ` +
      'send fewer tasks per batch or pass large data by reference (a path or URL) instead of inline',
  );
}

function formatMB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A GET whose reply is raw bytes (a data reference's value): the response, to be read as a stream. */
export async function hubFetchBytes(settings: RequestSettings, path: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${settings.hubUrl}/v1${path}`, { headers: { authorization: `Bearer ${settings.token}` } });
  } catch (error) {
    throw unreachableError(settings.hubUrl, error);
  }
  if (response.ok) return response;
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: the text itself is the message
  }
  throw errorFromResponse(response.status, response.statusText, parsed, response.headers.get('retry-after'));
}
