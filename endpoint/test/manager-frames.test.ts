import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeManagerFrame } from '../src/manager-frames.js';
import { ReplyProblem } from '../src/worker-replies.js';

const problem = (line: string) => {
  const decoded = decodeManagerFrame(line);
  assert.ok(decoded instanceof ReplyProblem, `${line} was accepted`);
  return decoded.reason;
};

test('well-formed manager frames are accepted as they are', () => {
  const done = { t: 'done', capacity: 4, completions: [{ task_id: 'a', state: 'success', timestamps: {}, result: { data: { 'text/plain': '1' } } }] };
  assert.deepEqual(decodeManagerFrame(JSON.stringify(done)), done);
  const load = { t: 'load', capacity: 2, load: { workers_total: 2, workers_busy: 0, queued: 0, running: 0, warm_images: [] } };
  assert.deepEqual(decodeManagerFrame(JSON.stringify(load)), load);
});

test('a malformed frame says what is wrong with it', () => {
  assert.match(problem('{"t":"done"'), /not JSON/);
  assert.match(problem('[1]'), /not a JSON object/);
  assert.match(problem('{"t":"hello"}'), /of no known kind/);
  assert.match(problem('{"t":"done","capacity":1,"completions":[{"task_id":"a","state":"running","timestamps":{}}]}'), /not success, failed or cancelled/);
  assert.match(problem('{"t":"load","capacity":-1,"load":{}}'), /"capacity" is not a count/);
  assert.match(problem('{"t":"states","updates":[{"task_id":1}]}'), /"task_id" is not a string/);
  assert.match(problem('{"t":"register","secret":"x","block_id":"0","node":"n","pid":1,"workers":0,"resources":{},"block_nodes":[],"version":"1"}'), /resources/);
  assert.match(problem('['.repeat(100) + ']'.repeat(100)), /nests more than/);
});
