import type { ErrorBody } from '@funcx/protocol';
import { toFuncxError } from '../errors.js';

/** An Error for a Socket.IO middleware `next()`: clients see its message and the ErrorBody in `data`. */
export function connectError(error: unknown): Error & { data: ErrorBody } {
  const body = toFuncxError(error).toBody();
  return Object.assign(new Error(body.message), { data: body });
}

/** Calls an ack with the handler's result, or with `{ error }` when it throws. */
export function answer<T>(ack: unknown, work: () => Promise<T>, onInternal: (error: unknown) => void): void {
  const reply = typeof ack === 'function' ? (ack as (response: T | { error: ErrorBody }) => void) : undefined;
  settle(work, (result) => reply?.(result), (error) => reply?.({ error }), onInternal);
}

/** Runs a handler: its result to `done`, or what it threw as an ErrorBody to `failed` (internal errors also to `onInternal`). */
export function settle<T>(
  work: () => Promise<T>,
  done: (result: T) => void,
  failed: (error: ErrorBody) => void,
  onInternal: (error: unknown) => void,
): void {
  work().then(done, (error: unknown) => {
    const funcxError = toFuncxError(error);
    if (funcxError.statusCode >= 500) onInternal(error);
    failed(funcxError.toBody());
  });
}
