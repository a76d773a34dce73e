import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { FlowDefinition, FlowRunView } from '@funcx/protocol';
import { cleanup, makeTempDir, startActionProvider, startEndpoint, startHub, type ActionProviderProcess, type HubProcess } from '@funcx/testing';
import { HubClient } from '../src/hub-client.js';
import { funcx, join, workerPython } from './support/world.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('flows on a real hub, two real endpoints and the example action provider', { timeout: 240_000 }, () => {
  let hub: HubProcess;
  let provider: ActionProviderProcess;
  let client: HubClient;
  let siteA: string;
  let siteB: string;
  const functions: Record<string, string> = {};

  before(async () => {
    hub = await startHub({ funcxHome: makeTempDir('funcx-home-') });
    provider = await startActionProvider();
    const [a, b] = await Promise.all([
      startEndpoint(hub, { name: 'site-a', workers: 1, python: workerPython() }),
      startEndpoint(hub, { name: 'site-b', workers: 1, python: workerPython() }),
    ]);
    siteA = a.endpointId;
    siteB = b.endpointId;
    client = new HubClient({ hubUrl: hub.url, token: hub.token, requestTimeoutMs: 15_000 });
    const sources = {
      square: 'def square(x):\n    return x * x\n',
      describe: 'def describe(n):\n    return f"{n} is big"\n',
      check: 'def check(n):\n    raise ValueError(f"{n} is too small")\n',
    };
    for (const [name, source] of Object.entries(sources)) {
      functions[name] = (await client.registerFunction({ name, source, entrypoint: name, language: 'python' })).function_id;
    }
  });
  after(async () => {
    client?.close();
    await cleanup();
  });

  /** Square on A, wait a second, choose on the result: describe it on B, or check it on B and fall back to the provider when that raises. */
  const story = (): FlowDefinition => ({
    Comment: 'square, decide, describe or fall back',
    StartAt: 'square',
    States: {
      square: { Type: 'Action', ActionUrl: 'funcx', Parameters: { endpoint: 'site-a', function_id: functions.square, 'args.$': '$.args' }, ResultPath: '$.square', Next: 'pause' },
      pause: { Type: 'Wait', Seconds: 1, Next: 'check_result' },
      check_result: { Type: 'Choice', Choices: [{ Variable: '$.square.details.result', NumericGreaterThan: 50, Next: 'big' }], Default: 'small' },
      big: { Type: 'Action', ActionUrl: 'funcx', Parameters: { endpoint: 'site-b', function_id: functions.describe, 'args.=': '[square.details.result]' }, ResultPath: '$.description', End: true },
      small: {
        Type: 'Action',
        ActionUrl: 'funcx',
        Parameters: { endpoint: 'site-b', function_id: functions.check, 'args.=': '[square.details.result]' },
        ResultPath: '$.checked',
        Catch: [{ ErrorEquals: ['ActionFailedException'], ResultPath: '$.problem', Next: 'fallback' }],
        End: true,
      },
      fallback: { Type: 'Action', ActionUrl: provider.url, Parameters: { op: 'echo', 'reason.$': '$.problem.Cause' }, ResultPath: '$.fallback', End: true },
    },
  });

  const runToEnd = async (flowId: string, input: unknown): Promise<FlowRunView> => {
    const run = await client.flows.run(flowId, { input: input as never });
    return client.flows.waitForRun(run.run_id, { intervalMs: 100, timeoutMs: 60_000 });
  };

  test('a function on endpoint A, a Wait, a Choice on its result, then a function on endpoint B', async () => {
    const flow = await client.flows.deploy({ definition: story() });
    const view = await runToEnd(flow.flow_id, { args: [9] });
    assert.equal(view.status, 'SUCCEEDED', JSON.stringify(view.error));
    const output = view.output as { square: { details: { result: number; endpoint_id: string } }; description: { details: { result: string; endpoint_id: string } } };
    assert.equal(output.square.details.result, 81);
    assert.equal(output.square.details.endpoint_id, siteA);
    assert.equal(output.description.details.result, '81 is big');
    assert.equal(output.description.details.endpoint_id, siteB);
    assert.equal(view.states.small.status, 'pending');
    const waited = view.events.find((event) => event.type === 'wait_started')!;
    const woke = view.events.find((event) => event.type === 'state_succeeded' && event.state === 'pause')!;
    assert.ok(waited.until! - waited.at >= 999 && woke.at >= waited.until!, 'the Wait lasted its second');
  });

  test('a function that raises is caught, and the fallback runs with its error', async () => {
    const flow = await client.flows.deploy({ definition: story() });
    const view = await runToEnd(flow.flow_id, { args: [3] });
    assert.equal(view.status, 'SUCCEEDED', JSON.stringify(view.error));
    const output = view.output as { problem: { Error: string; Cause: string; Details: { error: { ename: string } } }; fallback: { details: { reason: string } } };
    assert.equal(output.problem.Error, 'ActionFailedException');
    assert.equal(output.problem.Cause, 'States.small: ValueError: 9 is too small');
    assert.equal(output.problem.Details.error.ename, 'ValueError');
    assert.equal(output.fallback.details.reason, 'States.small: ValueError: 9 is too small');
    assert.equal(view.states.small.status, 'failed');
    assert.equal(view.states.fallback.status, 'succeeded');
  });

  test('a provider action that fails is retried with a new request id each time, then fails the run', async () => {
    const flow = await client.flows.deploy({
      definition: {
        StartAt: 'flaky',
        States: {
          flaky: {
            Type: 'Action',
            ActionUrl: provider.url,
            Parameters: { op: 'fail', seconds: 0.1, message: 'disk full' },
            Retry: [{ ErrorEquals: ['ActionFailedException'], IntervalSeconds: 0.2, MaxAttempts: 2 }],
            End: true,
          },
        },
      },
    });
    const before = await provider.stats();
    const view = await runToEnd(flow.flow_id, {});
    assert.equal(view.status, 'FAILED');
    assert.deepEqual(view.error, { Error: 'ActionFailedException', Cause: 'States.flaky: disk full', Details: { message: 'disk full' } });
    assert.equal(view.events.filter((event) => event.type === 'retry_scheduled').length, 2);
    const stats = await provider.stats();
    const ours = Object.entries(stats.executions).filter(([id]) => id.startsWith(view.run_id));
    assert.deepEqual(ours.map(([id, count]) => [id.slice(view.run_id.length), count]).sort(), [[':main:0:0', 1], [':main:0:1', 1], [':main:0:2', 1]]);
    assert.equal(stats.started - before.started, 3);
  });

  test('funcx flow deploy, run, status and list, from a YAML file', async () => {
    const dir = makeTempDir('funcx-flow-');
    const file = join(dir, 'double.yaml');
    writeFileSync(
      file,
      [
        'Comment: double it',
        'StartAt: double',
        'States:',
        '  double:',
        '    Type: ExpressionEval',
        '    Parameters:',
        '      value.=: n * 2',
        '    Next: done',
        '  done:',
        '    Type: Pass',
        '    End: true',
        '',
      ].join('\n'),
    );
    const deployed = await funcx({ hub }, ['flow', 'deploy', file, '--title', 'doubler']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const flowId = deployed.stdout.trim();
    assert.match(flowId, UUID);
    const listed = await funcx({ hub }, ['flow', 'list']);
    assert.match(listed.stdout, new RegExp(`doubler\\s+${flowId}\\s+2\\s+private`));
    const run = await funcx({ hub }, ['flow', 'run', flowId, '--input', '{"n": 21}', '--wait']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const runId = run.stdout.split('\n')[0];
    assert.match(runId, UUID);
    assert.match(run.stdout, /state_entered double/);
    assert.match(run.stdout, /output: \{"value":42\}/);
    const status = await funcx({ hub }, ['flow', 'status', runId]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^doubler {2}run /);
    assert.match(status.stdout, /SUCCEEDED/);
    assert.match(status.stdout, /double\s+succeeded\s+1/);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'StartAt: a\nStates:\n  a:\n    Type: Pass\n    Next: b\n');
    const refused = await funcx({ hub }, ['flow', 'deploy', broken]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /States\.a\.Next: no state "b" \(states: a\) \[FUNCX_FLOW_INVALID\]/);
  });
});
