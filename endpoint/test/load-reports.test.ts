import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, mock, test } from 'node:test';
import { HubClient } from '@funcx/client';
import { HEARTBEAT_INTERVAL_MS, type EndpointStatus, type TaskCompletion } from '@funcx/protocol';
import { cleanup, makeTempDir, startEndpoint, startHub, waitFor, type HubProcess } from '@funcx/testing';
import { LOAD_REPORT_AFTER_MS, LoadReports, withLoadReports } from '../src/load-reports.js';
import type { HeldTask, TaskReporter } from '../src/reporter.js';

/** Records what reaches the reporter behind, in order, with the load reports between. */
function setUp() {
  const seen: string[] = [];
  const inner: TaskReporter = {
    stateChanged: (task) => seen.push(`state ${task.task.task_id} ${task.state}`),
    output: (taskId) => seen.push(`output ${taskId}`),
    done: (completion) => seen.push(`done ${completion.task_id}`),
  };
  const reports = new LoadReports(() => seen.push('load'));
  const reporter = withLoadReports(inner, reports);
  const held = (taskId: string, state: HeldTask['state']): HeldTask => ({
    task: { task_id: taskId, function_id: 'f', owner: 'alice', args: [], kwargs: {} },
    state,
    timestamps: { [state]: 1_000 },
    since: 0,
    done: false,
  });
  const completion = (taskId: string): TaskCompletion => ({ task_id: taskId, state: 'success', timestamps: { success: 2_000 } });
  return { seen, reporter, reports, held, completion };
}

describe('the load an endpoint reports when a task starts or ends', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  test('a task that starts running is followed by one load report, shortly after', () => {
    const { seen, reporter, held } = setUp();
    reporter.stateChanged(held('a', 'running'));
    assert.deepEqual(seen, ['state a running']);
    mock.timers.tick(LOAD_REPORT_AFTER_MS - 1);
    assert.deepEqual(seen, ['state a running'], 'not before its time');
    mock.timers.tick(1);
    assert.deepEqual(seen, ['state a running', 'load']);
    mock.timers.tick(HEARTBEAT_INTERVAL_MS);
    assert.deepEqual(seen, ['state a running', 'load'], 'once');
  });

  test('a task that ends is followed by a load report; tasks that end together share one', () => {
    const { seen, reporter, completion } = setUp();
    reporter.done(completion('a'));
    reporter.done(completion('b'));
    mock.timers.tick(LOAD_REPORT_AFTER_MS);
    assert.deepEqual(seen, ['done a', 'done b', 'load']);
    reporter.done(completion('c'));
    mock.timers.tick(LOAD_REPORT_AFTER_MS);
    assert.deepEqual(seen, ['done a', 'done b', 'load', 'done c', 'load'], 'a later end gets its own report');
  });

  test('waiting states and output pass through without a load report', () => {
    const { seen, reporter, held } = setUp();
    reporter.stateChanged(held('a', 'waiting-for-launch'));
    reporter.output('a', { output_type: 'stream', name: 'stdout', text: 'hi\n' });
    mock.timers.tick(HEARTBEAT_INTERVAL_MS);
    assert.deepEqual(seen, ['state a waiting-for-launch', 'output a']);
  });

  test('nothing is reported after stop', () => {
    const { seen, reporter, reports, completion } = setUp();
    reporter.done(completion('a'));
    reports.stop();
    mock.timers.tick(HEARTBEAT_INTERVAL_MS);
    assert.deepEqual(seen, ['done a']);
  });
});

describe('a running endpoint reports its load when a task starts and ends', () => {
  let hub: HubProcess;
  let client: HubClient;

  before(async () => {
    hub = await startHub({ funcxHome: makeTempDir('funcx-load-reports-') });
    await startEndpoint(hub, { name: 'site', workers: 2 });
    client = new HubClient({ hubUrl: hub.url, token: hub.token });
    await client.connect();
  });
  after(async () => {
    client.close();
    await cleanup();
  });

  // Heartbeats alone come HEARTBEAT_INTERVAL_MS apart (timers never fire early), so a task that starts and
  // ends within one interval shows as running and as ended with heartbeats that far apart at the least. Load
  // reports sent at its start and at its end come about as far apart as the task lasted.
  test('the status that shows a task ended follows the one that showed it running by the task, not a heartbeat', async () => {
    const statuses: EndpointStatus[] = [];
    const stop = client.onEndpointStatus((endpoints) => {
      const site = endpoints.find((endpoint) => endpoint.name === 'site');
      if (site) statuses.push(site.status);
    });
    const { task_ids } = await client.submitLive([{ source: 'import time\ntime.sleep(0.3)', endpoint: 'site' }]);
    await client.waitForTask(task_ids[0]);
    const shown = () => {
      const running = statuses.findLastIndex((status) => status.running === 1);
      const ended = statuses.findIndex((status, index) => index > running && status.running === 0);
      return running >= 0 && ended > running && { running: statuses[running], ended: statuses[ended] };
    };
    const { running, ended } = await waitFor(shown, {
      timeoutMs: 3 * HEARTBEAT_INTERVAL_MS,
      what: 'a status showing the task running, then one showing it ended',
    });
    stop();
    const gap = ended.last_heartbeat! - running.last_heartbeat!;
    assert.ok(gap < HEARTBEAT_INTERVAL_MS / 2, `the end was reported ${gap} ms after the start was`);
  });
});
