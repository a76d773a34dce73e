import { createHash } from 'node:crypto';
import type { FunctionRecord, JsonValue, TaskSubmission } from '@funcx/protocol';

/** The digest of what a function runs: language, entrypoint and source. */
export function codeDigest(fn: Pick<FunctionRecord, 'language' | 'entrypoint' | 'source'>): string {
  return createHash('sha256').update(fn.language).update('\0').update(fn.entrypoint ?? '').update('\0').update(fn.source).digest('hex');
}

/**
 * JSON with every object's keys sorted, so that `{"a":1,"b":2}` and `{"b":2,"a":1}` (kwargs in another order)
 * give one key. Arrays keep their order.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
}

/**
 * The key a memoized task's result is kept under: its owner (results are never shared between users), its
 * function's code digest, the image it runs in, whether the value comes back pickled too, and its arguments.
 * A function whose code changes gets another digest, so results of the old code are never used for it.
 */
export function memoKey(owner: string, fn: FunctionRecord, image: string | undefined, submission: TaskSubmission): string {
  return createHash('sha256')
    .update('funcx-memo-1\0')
    .update(owner)
    .update('\0')
    .update(codeDigest(fn))
    .update('\0')
    .update(image ?? '')
    .update('\0')
    .update(submission.return_pickle ? 'p' : '-')
    .update('\0')
    .update(canonicalJson(submission.args ?? []))
    .update('\0')
    .update(canonicalJson(submission.kwargs ?? {}))
    .digest('hex');
}

/** Whether a submission of this function is memoized: its own `cache`, else the function's `pure`. */
export function isMemoized(fn: FunctionRecord, submission: TaskSubmission): boolean {
  return submission.cache ?? fn.pure === true;
}
