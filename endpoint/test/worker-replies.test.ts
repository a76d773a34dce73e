import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeReply, ReplyProblem } from '../src/worker-replies.js';

const problem = (line: string): string => {
  const decoded = decodeReply(line);
  assert.ok(decoded instanceof ReplyProblem, `${line.slice(0, 60)} should be refused`);
  return decoded.reason;
};

test('every kind of well-formed reply is accepted as it is', () => {
  const replies = [
    { t: 'ready', pid: 7, python: '3.11.7' },
    { t: 's', i: 'a', ts: 1 },
    { t: 'o', i: null, n: 'stderr', x: 'text' },
    { t: 'd', i: 'a', data: { 'text/plain': 'x' }, md: {} },
    { t: 'ok', i: 'a', ts0: 1, ts1: 2, r: { value: [1], data: { 'text/plain': '[1]' } } },
    { t: 'err', i: 'a', ts0: 1, ts1: 2, e: { ename: 'E', evalue: 'v', traceback: ['E: v'] } },
  ];
  for (const reply of replies) assert.deepEqual(decodeReply(JSON.stringify(reply)), reply);
});

test('a line that is not JSON, or not an object, is refused with what it was', () => {
  assert.equal(problem('hello'), 'a reply is not JSON: "hello"');
  assert.equal(problem('[1, 2]'), 'a reply is not a JSON object');
});

test('a reply nested deeper than the limit is refused before it is parsed', () => {
  const deep = `{"t":"o","i":null,"n":"stdout","x":${'['.repeat(100_000)}`;
  assert.equal(problem(deep), 'a reply nests more than 64 levels deep');
});

test('each kind names the field it lacks', () => {
  assert.match(problem('{"t":"ok","i":3,"ts0":1,"ts1":2,"r":{"data":{}}}'), /its task id "i" is not a string/);
  assert.match(problem('{"t":"ok","i":"a","ts0":1,"ts1":2,"r":{"value":1}}'), /its result "r" has no "data" bundle/);
  assert.match(problem('{"t":"err","i":"a","ts0":1,"ts1":2,"e":{"ename":"E","evalue":"v","traceback":[1]}}'), /lacks ename, evalue or traceback/);
  assert.match(problem('{"t":"o","i":null,"n":"stdin","x":""}'), /neither stdout nor stderr/);
  assert.match(problem('{"t":"d","i":null,"data":[],"md":{}}'), /"data" or "md" is not an object/);
  assert.match(problem('{"t":"s","i":"a"}'), /"i" or "ts" has the wrong type/);
  assert.match(problem('{"t":"boom"}'), /a reply of kind "boom" is malformed: it is of no known kind/);
});
