import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { ActionStatus, FlowDefinition, FlowRecord, FlowRunRecord } from '@funcx/protocol';
import type { ActionContext, ActionProvider } from '../src/flows/actions/provider.js';
import { ActionProviders } from '../src/flows/actions/providers.js';
import type { FlowClock } from '../src/flows/engine/clock.js';
import { FlowEngine } from '../src/flows/engine/engine.js';
import { callbackToken } from '../src/flows/engine/run-driver.js';
import { MemoryFlowStore } from '../src/store/memory-flows.js';

// Where time is the subject (a Wait of an hour, Retry backoff, the poll schedule of an action, WaitTime), the
// engine runs on node:test's mock timers; the action is a scripted provider, since what is checked is when the
// engine asks, not what a provider answers.

/** Lets the engine's promises and the store's writes go round (setImmediate is not mocked). */
async function settle(rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

class ScriptedProvider implements ActionProvider {
  statusCalls: number[] = [];
  runCalls = 0;
  cancels = 0;
  constructor(private readonly script: { run: () => ActionStatus; status?: () => ActionStatus }) {}
  async run(): Promise<ActionStatus> {
    this.runCalls++;
    return this.script.run();
  }
  async status(): Promise<ActionStatus> {
    this.statusCalls.push(Date.now());
    return (this.script.status ?? this.script.run)();
  }
  async cancel(_context: ActionContext): Promise<void> {
    this.cancels++;
  }
  async release(): Promise<void> {}
}

function flowOf(definition: FlowDefinition): FlowRecord {
  return { flow_id: 'f1', owner: 'alice', title: 't', definition, public: false, shared_with: { users: [], groups: [] }, created_at: 0, updated_at: 0 };
}

describe('flow timing, on mock timers', () => {
  let store: MemoryFlowStore;
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    store = MemoryFlowStore.open(undefined);
  });
  afterEach(() => mock.timers.reset());

  /** The engine's time as Date (which the mock moves) tells it. */
  const clock: FlowClock = { now: () => Date.now(), setTimer: (fire, ms) => setTimeout(fire, ms), clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout) };
  function engineWith(provider: ActionProvider): FlowEngine {
    return new FlowEngine({ store, clock, providers: new ActionProviders(provider, provider), settings: { pollMinMs: 250, pollMaxMs: 10_000 }, onError: (error) => assert.fail(String(error)) });
  }
  const idle = new ScriptedProvider({ run: () => ({ action_id: 'a', status: 'SUCCEEDED' }) });
  const statusOf = async (run: FlowRunRecord) => (await store.getRun(run.run_id))!.status;

  it('waits an hour in a Wait state, and not a second less', async () => {
    const engine = engineWith(idle);
    const run = await engine.startRun({ owner: 'alice', flow: flowOf({ StartAt: 'nap', States: { nap: { Type: 'Wait', Seconds: 3600, Next: 'up' }, up: { Type: 'Pass', End: true } } }), input: { x: 1 } });
    await settle();
    mock.timers.tick(3_599_000);
    await settle();
    assert.equal(await statusOf(run), 'ACTIVE');
    mock.timers.tick(1_000);
    await settle();
    assert.equal(await statusOf(run), 'SUCCEEDED');
    const events = await store.readRunEvents(run.run_id, 0, 100);
    const wait = events.find((event) => event.type === 'wait_started')!;
    assert.equal(wait.until! - wait.at, 3_600_000);
    assert.deepEqual((await store.getRun(run.run_id))!.output, { x: 1 });
  });

  it('retries a failing action after 1, 2, then 3 s (IntervalSeconds 1, BackoffRate 2, MaxDelaySeconds 3), then fails the run', async () => {
    const provider = new ScriptedProvider({ run: () => ({ action_id: `a${Date.now()}`, status: 'FAILED', details: { message: 'nope' } }) });
    const engine = engineWith(provider);
    const definition: FlowDefinition = {
      StartAt: 'try',
      States: { try: { Type: 'Action', ActionUrl: 'funcx', Parameters: {}, Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, BackoffRate: 2, MaxDelaySeconds: 3, MaxAttempts: 3 }], End: true } },
    };
    const run = await engine.startRun({ owner: 'alice', flow: flowOf(definition), input: {} });
    for (let i = 0; i < 8; i++) {
      await settle();
      mock.timers.tick(1_000);
    }
    await settle();
    assert.equal(await statusOf(run), 'FAILED');
    assert.equal(provider.runCalls, 4, 'the first attempt and three retries');
    const retries = (await store.readRunEvents(run.run_id, 0, 100)).filter((event) => event.type === 'retry_scheduled');
    assert.deepEqual(retries.map((event) => event.until! - event.at), [1_000, 2_000, 3_000]);
    assert.equal((await store.getRun(run.run_id))!.error!.Cause, 'States.try: nope');
  });

  it('polls an action after 250 ms, doubling up to 10 s, and cancels it when its WaitTime runs out', async () => {
    const provider = new ScriptedProvider({ run: () => ({ action_id: 'slow', status: 'ACTIVE' }) });
    const engine = engineWith(provider);
    const started = Date.now();
    const run = await engine.startRun({ owner: 'alice', flow: flowOf({ StartAt: 'long', States: { long: { Type: 'Action', ActionUrl: 'funcx', Parameters: {}, WaitTime: 40, End: true } } }), input: {} });
    for (let t = 0; t <= 41_000; t += 250) {
      await settle(10);
      mock.timers.tick(250);
    }
    await settle();
    const offsets = provider.statusCalls.map((at) => at - started);
    assert.deepEqual(offsets, [250, 750, 1_750, 3_750, 7_750, 15_750, 25_750, 35_750, 40_000]);
    assert.equal(await statusOf(run), 'FAILED');
    assert.equal((await store.getRun(run.run_id))!.error!.Error, 'ActionTimeout');
    assert.equal(provider.cancels, 1);
  });

  it('asks at once when a callback comes, and starts the backoff over', async () => {
    let done = false;
    const provider = new ScriptedProvider({ run: () => ({ action_id: 'cb', status: done ? 'SUCCEEDED' : 'ACTIVE' }) });
    const engine = engineWith(provider);
    const run = await engine.startRun({ owner: 'alice', flow: flowOf({ StartAt: 'call', States: { call: { Type: 'Action', ActionUrl: 'funcx', Parameters: {}, End: true } } }), input: {} });
    for (let t = 0; t < 8_000; t += 250) {
      await settle(10);
      mock.timers.tick(250);
    }
    const polls = provider.statusCalls.length;
    done = true;
    engine.driving(run.run_id)!.pokeByToken(callbackToken(`${run.run_id}:main:0:0`));
    await settle();
    assert.equal(provider.statusCalls.length, polls + 1);
    assert.equal(await statusOf(run), 'SUCCEEDED');
  });
});
