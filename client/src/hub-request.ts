import { FuncxError } from '@funcx/protocol';
import { errorFromResponse, unreachableError } from './hub-errors.js';

export interface RequestSettings {
  hubUrl: string;
  token: string;
  timeoutMs: number;
  maxBodyBytes: number;
}

/** One REST call under /v1 with the bearer token; non-2xx answers and network failures reject with FuncxError. */
export async function hubRequest<T>(settings: RequestSettings, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${settings.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const json = body === undefined ? undefined : checkBodySize(JSON.stringify(body), settings.maxBodyBytes);
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
  if (!response.ok) throw errorFromResponse(response.status, response.statusText, parsed);
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
