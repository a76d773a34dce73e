import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EndpointView, TaskOutput } from '@funcx/protocol';
import { OutputBuffer } from '../src/output-buffer';
import { describeEndpoints, errorOutput, finalOutputs, resultOutput, toCellOutput } from '../src/outputs';

const stdout = (text: string): TaskOutput => ({ output_type: 'stream', name: 'stdout', text });
const stderr = (text: string): TaskOutput => ({ output_type: 'stream', name: 'stderr', text });
const png: TaskOutput = { output_type: 'display_data', data: { 'image/png': 'iVBORw0K' }, metadata: {} };

/** A buffer whose flushes run when the test says so, writing into a list. */
function buffered() {
  const written: TaskOutput[] = [];
  const flushes: (() => void)[] = [];
  const buffer = new OutputBuffer(
    output => written.push(output),
    flush => flushes.push(flush)
  );
  const deliver = () => flushes.splice(0).forEach(flush => flush());
  return { buffer, written, deliver };
}

describe('task outputs into the cell', () => {
  it('consecutive stdout chunks merge into one stream output', () => {
    const { buffer, written, deliver } = buffered();
    buffer.push(stdout('1\n'));
    buffer.push(stdout('2\n'));
    buffer.push(stdout('3\n'));
    assert.equal(written.length, 0, 'nothing is written before the delivery ends');
    deliver();
    assert.deepEqual(written, [stdout('1\n2\n3\n')]);
  });

  it('stdout and stderr chunks stay apart, in the order they were printed', () => {
    const { buffer, written, deliver } = buffered();
    buffer.push(stdout('a'));
    buffer.push(stderr('warning'));
    buffer.push(stdout('b'));
    deliver();
    assert.deepEqual(written, [stdout('a'), stderr('warning'), stdout('b')]);
  });

  it('a figure between two prints keeps its place', () => {
    const { buffer, written, deliver } = buffered();
    buffer.push(stdout('before\n'));
    buffer.push(png);
    buffer.push(stdout('after\n'));
    deliver();
    assert.deepEqual(written, [stdout('before\n'), png, stdout('after\n')]);
  });

  it('a flush before the result writes what is pending once', () => {
    const { buffer, written, deliver } = buffered();
    buffer.push(stdout('x'));
    buffer.flush();
    deliver();
    assert.deepEqual(written, [stdout('x')]);
  });

  it('a display output becomes display_data with its MIME bundle', () => {
    assert.deepEqual(toCellOutput(png), {
      output_type: 'display_data',
      data: { 'image/png': 'iVBORw0K' },
      metadata: {}
    });
  });

  it('a returned value becomes an execute_result with the execution count', () => {
    assert.deepEqual(resultOutput({ value: 42, data: { 'text/plain': '42' } }, 3), {
      output_type: 'execute_result',
      execution_count: 3,
      data: { 'text/plain': '42' },
      metadata: {}
    });
  });

  it('a function that returns None shows no result', () => {
    assert.equal(resultOutput({ value: null, data: { 'text/plain': 'None' } }, 1), null);
    assert.deepEqual(
      finalOutputs({ type: 'final', task_id: 't', state: 'success', timestamps: {}, result: { data: { 'text/plain': 'None' } } }, 1),
      []
    );
  });

  it('an exception becomes an error output with ename, evalue and traceback', () => {
    const error = { ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: ['Traceback…', 'ZeroDivisionError: division by zero'] };
    assert.deepEqual(finalOutputs({ type: 'final', task_id: 't', state: 'failed', timestamps: {}, error }, 2), [
      { output_type: 'error', ...error }
    ]);
  });

  it('an error without a traceback still shows a line', () => {
    assert.deepEqual(errorOutput({ ename: 'TaskLost', evalue: 'gone', traceback: [] }), {
      output_type: 'error',
      ename: 'TaskLost',
      evalue: 'gone',
      traceback: ['TaskLost: gone']
    });
  });

  it('a cancelled task says it was cancelled', () => {
    const [output] = finalOutputs({ type: 'final', task_id: 't9', state: 'cancelled', timestamps: {} }, 1);
    assert.equal(output.output_type, 'error');
    assert.equal(output.ename, 'TaskCancelled');
    assert.match(String(output.evalue), /t9 was cancelled/);
  });

  it('the listing of endpoints names each with its status and site', () => {
    const view = (name: string, online: boolean, site?: string): EndpointView => ({
      endpoint_id: name,
      name,
      owner: 'alice',
      public: false,
      created_at: 0,
      site,
      status: { online, workers_total: 2, workers_busy: 0, queued: 0, running: 0, warm_images: [] }
    });
    assert.equal(
      describeEndpoints([view('local', true, 'Argonne'), view('cloud', false)]),
      'Endpoints you can use: local (online, Argonne), cloud (offline).'
    );
    assert.match(describeEndpoints([]), /funcx-endpoint configure NAME/);
  });
});

describe('the output buffer on its own clock', () => {
  it('writes merged chunks a microtask after they arrive, with no scheduler given', async (t) => {
    // As strict as a browser: queueMicrotask refuses to be called as a method of another object.
    const original = globalThis.queueMicrotask;
    globalThis.queueMicrotask = function (this: unknown, callback: () => void) {
      if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation');
      original(callback);
    };
    t.after(() => {
      globalThis.queueMicrotask = original;
    });
    const written: TaskOutput[] = [];
    const buffer = new OutputBuffer(output => written.push(output));
    buffer.push(stdout('a'));
    buffer.push(stdout('b'));
    await Promise.resolve();
    assert.deepEqual(written, [stdout('ab')]);
  });
});
