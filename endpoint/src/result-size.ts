import { MAX_RESULT_BYTES, formatBytes, type WorkerCompletionReply } from '@funcx/protocol';

const jsonLength = (value: unknown): number => (value === undefined ? 0 : JSON.stringify(value).length);

/**
 * Why a task's result is too large to return, or undefined when it is not. One representation counts: the
 * larger of the value, its representations and its pickle, plus the error. Measured only for replies whose line
 * is over the limit, so ordinary results cost nothing.
 */
export function resultTooLarge(reply: WorkerCompletionReply, limit = MAX_RESULT_BYTES): string | undefined {
  const size =
    reply.t === 'ok'
      ? Math.max(jsonLength(reply.r.value), jsonLength(reply.r.data), reply.r.pickle?.length ?? 0)
      : jsonLength(reply.e);
  if (size <= limit) return undefined;
  return (
    `the result is ${formatBytes(size)}; the limit is ${formatBytes(limit)}: ` +
    'return less data, or write it to shared storage and return its path'
  );
}
