import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FlowDefinition, FlowRunView } from '@funcx/protocol';
import { addUser } from '../src/users.js';
import { collect, connectEndpoint, registerEndpoint, startTestHub, waitFor, type TestHub } from './support/hub.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Pass, ExpressionEval and Choice: doubles the input's n, then says whether it is big. */
const decide: FlowDefinition = {
  Comment: 'double and decide',
  StartAt: 'start',
  States: {
    start: { Type: 'Pass', Parameters: { 'n.$': '$.n', note: 'started' }, ResultPath: '$.started', Next: 'double' },
    double: { Type: 'ExpressionEval', Parameters: { 'value.=': 'n * 2' }, ResultPath: '$.doubled', Next: 'decide' },
    decide: {
      Type: 'Choice',
      Choices: [{ Variable: '$.doubled.value', NumericGreaterThanEquals: 10, Next: 'big' }],
      Default: 'small',
    },
    big: { Type: 'Pass', Result: 'big', ResultPath: '$.size', End: true },
    small: { Type: 'Fail', Error: 'TooSmall', Cause: 'the doubled value is under 10' },
  },
};

describe('flows over REST', () => {
  let hub: TestHub;
  let bobToken: string;

  before(async () => {
    hub = await startTestHub();
    bobToken = addUser(hub.dataDir, 'bob');
  });
  after(() => hub.cleanup());

  async function deploy(definition: FlowDefinition, token?: string): Promise<string> {
    const created = await hub.call('POST', '/v1/flows', { title: definition.Comment ?? 'flow', definition }, token);
    assert.equal(created.statusCode, 201, JSON.stringify(created.body));
    return created.body.flow_id;
  }

  async function runToEnd(flowId: string, input: unknown, token?: string): Promise<FlowRunView> {
    const started = await hub.call('POST', `/v1/flows/${flowId}/run`, { input }, token);
    assert.equal(started.statusCode, 201, JSON.stringify(started.body));
    const deadline = Date.now() + 15_000;
    for (;;) {
      const view = await hub.call('GET', `/v1/flow-runs/${started.body.run_id}`, undefined, token);
      assert.equal(view.statusCode, 200, JSON.stringify(view.body));
      if (view.body.status !== 'ACTIVE') return view.body as FlowRunView;
      if (Date.now() > deadline) assert.fail(`run still ACTIVE: ${JSON.stringify(view.body.events.map((e: { type: string; state?: string }) => [e.type, e.state]))}`);
      await sleep(20);
    }
  }

  it('refuses a definition with a 400 that names each state and field at fault', async () => {
    const broken = structuredClone(decide) as FlowDefinition & { States: Record<string, any> };
    broken.States.decide.Choices[0].Next = 'done';
    broken.States.start.Nxt = 'double';
    const response = await hub.call('POST', '/v1/flows', { definition: broken });
    assert.equal(response.statusCode, 400);
    assert.equal(response.body.code, 'FUNCX_FLOW_INVALID');
    assert.match(response.body.message, /^The flow definition has 3 problems: /);
    assert.match(response.body.message, /States\.start: unknown field "Nxt"/);
    assert.match(response.body.message, /States\.decide\.Choices\[0\]\.Next: no state "done" \(states: start, double, decide, big, small\)/);
    assert.match(response.body.message, /States\.big: no state leads here/);
  });

  it('runs Pass, ExpressionEval and Choice to the end, with every state in the log and the summary', async () => {
    const flowId = await deploy(decide);
    const view = await runToEnd(flowId, { n: 7 });
    assert.equal(view.status, 'SUCCEEDED');
    assert.deepEqual(view.output, { n: 7, started: { n: 7, note: 'started' }, doubled: { value: 14 }, size: 'big' });
    assert.deepEqual(
      view.events.map((event) => [event.type, event.state ?? '']),
      [
        ['run_started', ''],
        ['state_entered', 'start'],
        ['state_succeeded', 'start'],
        ['state_entered', 'double'],
        ['state_succeeded', 'double'],
        ['state_entered', 'decide'],
        ['state_succeeded', 'decide'],
        ['state_entered', 'big'],
        ['state_succeeded', 'big'],
        ['run_succeeded', ''],
      ],
    );
    assert.deepEqual(view.events.map((event) => event.seq), view.events.map((_, i) => i + 1));
    assert.equal(view.states.small.status, 'pending');
    assert.equal(view.states.double.status, 'succeeded');
    assert.deepEqual(view.states.double.output, { n: 7, started: { n: 7, note: 'started' }, doubled: { value: 14 } });
    const later = await hub.call('GET', `/v1/flow-runs/${view.run_id}?events_after=8`);
    assert.deepEqual(later.body.events.map((event: { seq: number }) => event.seq), [9, 10]);
    assert.equal(later.body.last_seq, 10);
  });

  it('fails a run that reaches a Fail state with its Error and Cause', async () => {
    const view = await runToEnd(await deploy(decide), { n: 2 });
    assert.equal(view.status, 'FAILED');
    assert.deepEqual(view.error, { Error: 'TooSmall', Cause: 'the doubled value is under 10' });
    assert.equal(view.states.small.status, 'failed');
  });

  it('catches an error and goes on with it in the input', async () => {
    const flowId = await deploy({
      StartAt: 'divide',
      States: {
        divide: { Type: 'ExpressionEval', Parameters: { 'x.$': '$.missing' }, Catch: [{ ErrorEquals: ['States.Runtime'], ResultPath: '$.problem', Next: 'recover' }], End: true },
        recover: { Type: 'Pass', End: true },
      },
    });
    const view = await runToEnd(flowId, { present: true });
    assert.equal(view.status, 'SUCCEEDED');
    assert.equal((view.output as { problem: { Error: string } }).problem.Error, 'States.Runtime');
    assert.match((view.output as { problem: { Cause: string } }).problem.Cause, /\$\.missing matched nothing/);
    assert.ok(view.events.some((event) => event.type === 'caught' && event.state === 'divide'));
  });

  it('maps over a list, running the item processor for each item, and gathers the outputs in order', async () => {
    const flowId = await deploy({
      StartAt: 'each',
      States: {
        each: {
          Type: 'Map',
          ItemsPath: '$.numbers',
          MaxConcurrency: 2,
          ItemSelector: { 'value.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index', 'factor.$': '$.factor' },
          ItemProcessor: {
            StartAt: 'scale',
            States: { scale: { Type: 'ExpressionEval', Parameters: { 'scaled.=': 'value * factor', 'index.$': '$.index' }, End: true } },
          },
          ResultPath: '$.scaled',
          End: true,
        },
      },
    });
    const view = await runToEnd(flowId, { numbers: [1, 2, 3, 4, 5], factor: 10 });
    assert.equal(view.status, 'SUCCEEDED', JSON.stringify(view.error));
    assert.deepEqual((view.output as { scaled: unknown }).scaled, [0, 1, 2, 3, 4].map((i) => ({ scaled: (i + 1) * 10, index: i })));
    assert.deepEqual(view.states.each.iterations, { total: 5, active: 0, succeeded: 5, failed: 0 });
    assert.equal(view.states['each/scale'].visits, 5);
    const entered = view.events.filter((event) => event.type === 'state_entered' && event.state === 'each/scale').map((event) => event.item);
    assert.deepEqual(entered, [0, 1, 2, 3, 4]);
  });

  it('runs a function on an endpoint as the run\'s owner, in a task group that finds the task again', async () => {
    const endpoint = await registerEndpoint(hub, 'flow-site');
    const socket = await connectEndpoint(hub.url, endpoint.endpoint_token);
    const received = collect(socket);
    socket.on('tasks:dispatch', (batch) => {
      for (const task of batch.tasks) {
        socket.emit('tasks:done', [{ task_id: task.task_id, state: 'success', timestamps: {}, result: { value: (task.args[0] as number) ** 2, data: { 'text/plain': 'x' } } }], () => undefined);
      }
    });
    try {
      const flowId = await deploy({
        StartAt: 'square',
        States: {
          square: { Type: 'Action', ActionUrl: 'funcx', Parameters: { endpoint: 'flow-site', source: 'def f(x):\n    return x * x\n', entrypoint: 'f', 'args.$': '$.args' }, ResultPath: '$.square', Next: 'report' },
          report: { Type: 'Pass', Parameters: { 'value.$': '$.square.details.result', 'task.$': '$.square.action_id' }, End: true },
        },
      });
      const view = await runToEnd(flowId, { args: [12] });
      assert.equal(view.status, 'SUCCEEDED', JSON.stringify(view.error));
      const output = view.output as { value: number; task: string };
      assert.equal(output.value, 144);
      assert.equal(received.tasks.length, 1);
      assert.equal(received.tasks[0].owner, 'alice');
      const task = await hub.call('GET', `/v1/tasks/${output.task}`);
      assert.equal(task.body.task_group, `flow:${view.run_id}:main:0:0`);
      assert.equal(view.states.square.action?.status, 'SUCCEEDED');
    } finally {
      socket.disconnect();
    }
  });

  it('shares a flow: another user runs it as themselves, and may not delete it', async () => {
    const flowId = await deploy(decide);
    assert.equal((await hub.call('GET', `/v1/flows/${flowId}`, undefined, bobToken)).statusCode, 403);
    const shared = await hub.call('PUT', `/v1/flows/${flowId}/sharing`, { users: ['bob'] });
    assert.equal(shared.statusCode, 200, JSON.stringify(shared.body));
    assert.ok((await hub.call('GET', '/v1/flows', undefined, bobToken)).body.some((flow: { flow_id: string }) => flow.flow_id === flowId));
    const view = await runToEnd(flowId, { n: 50 }, bobToken);
    assert.equal(view.owner, 'bob');
    assert.equal((await hub.call('GET', `/v1/flow-runs/${view.run_id}`)).statusCode, 403, 'a run is its owner\'s alone');
    assert.equal((await hub.call('DELETE', `/v1/flows/${flowId}`, undefined, bobToken)).statusCode, 403);
    const bobs = await hub.call('GET', '/v1/flow-runs', undefined, bobToken);
    assert.deepEqual(bobs.body.runs.map((run: { run_id: string }) => run.run_id), [view.run_id]);
  });

  it('cancels a waiting run once (409 the second time)', async () => {
    const flowId = await deploy({ StartAt: 'wait', States: { wait: { Type: 'Wait', Seconds: 3600, End: true } } });
    const started = await hub.call('POST', `/v1/flows/${flowId}/run`, {});
    const cancelled = await hub.call('POST', `/v1/flow-runs/${started.body.run_id}/cancel`);
    assert.equal(cancelled.statusCode, 200, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.status, 'CANCELLED');
    const again = await hub.call('POST', `/v1/flow-runs/${started.body.run_id}/cancel`);
    assert.equal(again.statusCode, 409);
    assert.equal(again.body.code, 'FUNCX_FLOW_RUN_FINISHED');
    const view = await hub.call('GET', `/v1/flow-runs/${started.body.run_id}`);
    assert.deepEqual(view.body.events.map((event: { type: string }) => event.type), ['run_started', 'state_entered', 'wait_started', 'run_cancelled']);
  });

  it('starts a run from a webhook with its secret only, merging the body over the trigger input', async () => {
    const flowId = await deploy({ StartAt: 'echo', States: { echo: { Type: 'Pass', End: true } } });
    const created = await hub.call('POST', `/v1/flows/${flowId}/triggers`, { kind: 'webhook', input: { source: 'hook', n: 1 } });
    assert.equal(created.statusCode, 201, JSON.stringify(created.body));
    const { secret, webhook_path: path } = created.body;
    assert.equal(typeof secret, 'string');
    const post = (headers: Record<string, string>) => hub.running.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/json', ...headers }, payload: { n: 2 } });
    assert.equal((await post({})).statusCode, 401);
    assert.equal((await post({ 'x-funcx-trigger-secret': 'wrong' })).statusCode, 401);
    const fired = await post({ 'x-funcx-trigger-secret': secret });
    assert.equal(fired.statusCode, 202, fired.body);
    const runId = JSON.parse(fired.body).run_id;
    for (let i = 0; i < 100; i++) {
      const view = await hub.call('GET', `/v1/flow-runs/${runId}`);
      if (view.body.status === 'SUCCEEDED') {
        assert.deepEqual(view.body.output, { source: 'hook', n: 2 });
        assert.equal(view.body.trigger_id, created.body.trigger_id);
        const listed = await hub.call('GET', `/v1/flows/${flowId}/triggers`);
        assert.equal(listed.body[0].secret_hash, undefined);
        assert.equal(typeof listed.body[0].last_fired_at, 'number');
        return;
      }
      await sleep(20);
    }
    assert.fail('the webhook run did not finish');
  });

  it('refuses a cron trigger whose expression does not parse, saying what to write', async () => {
    const flowId = await deploy({ StartAt: 'echo', States: { echo: { Type: 'Pass', End: true } } });
    const response = await hub.call('POST', `/v1/flows/${flowId}/triggers`, { kind: 'cron', cron: 'every tuesday' });
    assert.equal(response.statusCode, 400);
    assert.match(response.body.message, /cron "every tuesday": .*e\.g\. "\*\/15 \* \* \* \*"/);
  });
});
