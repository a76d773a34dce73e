import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { FlowRecord, FlowRunRecord, FlowRunStatus } from '@funcx/protocol';
import type { FlowThread } from '../src/store/flow-store.js';
import type { Store } from '../src/store/store.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function flowRecord(owner = 'alice'): FlowRecord {
  return {
    flow_id: randomUUID(),
    owner,
    title: 'hello',
    definition: { StartAt: 'a', States: { a: { Type: 'Pass', End: true } } },
    public: false,
    shared_with: { users: [], groups: [] },
    created_at: 1,
    updated_at: 1,
  };
}

export function runRecord(flow: FlowRecord, extra: Partial<FlowRunRecord> = {}): FlowRunRecord {
  return {
    run_id: randomUUID(),
    flow_id: flow.flow_id,
    flow_title: flow.title,
    owner: flow.owner,
    status: 'ACTIVE',
    input: { x: 1.25 },
    definition: flow.definition,
    created_at: 1_763_880_463_123.456,
    ...extra,
  };
}

export function mainThread(extra: Partial<FlowThread> = {}): FlowThread {
  return { thread_id: 'main', scope: [], state: 'a', step: 0, attempt: 0, phase: 'enter', input: { x: 1.25 }, entered_at: 1, ...extra };
}

export interface ContractOptions {
  /** A second store over the same state, used at the same time (another hub on the same Redis). */
  second?: (first: Store) => Promise<Store>;
  /** The same state opened again after the first store closed (a restarted hub). */
  reopen?: (first: Store) => Promise<Store>;
}

/** What every store must do with flows. `open` gives a store with empty state. */
export function flowStoreContract(name: string, open: () => Promise<Store>, { second: openSecond, reopen }: ContractOptions = {}): void {
  describe(`flow store contract: ${name}`, () => {
    const opened: Store[] = [];
    const fresh = async () => {
      const store = await open();
      opened.push(store);
      return store;
    };
    after(async () => {
      for (const store of opened) await store.close().catch(() => undefined);
    });

    it('keeps flows and deletes them', async () => {
      const { flows } = await fresh();
      const flow = flowRecord();
      await flows.putFlow(flow);
      assert.deepEqual(await flows.getFlow(flow.flow_id), flow);
      assert.deepEqual((await flows.listFlows()).map((f) => f.flow_id), [flow.flow_id]);
      assert.equal(await flows.deleteFlow(flow.flow_id), true);
      assert.equal(await flows.deleteFlow(flow.flow_id), false);
      assert.equal(await flows.getFlow(flow.flow_id), undefined);
    });

    it('numbers a run\'s events from 1 and reads them after a seq', async () => {
      const { flows } = await fresh();
      const run = runRecord(flowRecord());
      await flows.createRun('hub-a', 10_000, run, [mainThread()], [{ at: 1, type: 'run_started', input: run.input }, { at: 2, type: 'state_entered', state: 'a' }]);
      assert.deepEqual(await flows.getRun(run.run_id), run);
      assert.deepEqual(await flows.getThreads(run.run_id), [mainThread()]);
      assert.equal(await flows.commitRun('hub-a', run.run_id, { events: [{ at: 3, type: 'state_succeeded', state: 'a', output: [1, 'two'] }] }), true);
      const events = await flows.readRunEvents(run.run_id, 1, 10);
      assert.deepEqual(events.map((e) => [e.seq, e.type]), [[2, 'state_entered'], [3, 'state_succeeded']]);
      assert.deepEqual(events[1].output, [1, 'two']);
      assert.deepEqual((await flows.readRunEvents(run.run_id, 0, 1)).map((e) => e.seq), [1]);
      assert.equal(await flows.lastRunEventSeq(run.run_id), 3);
      assert.equal(await flows.lastRunEventSeq(randomUUID()), 0);
    });

    it('applies commits of the lease holder only, and a final commit ends the lease and drops the threads', async () => {
      const { flows } = await fresh();
      const run = runRecord(flowRecord());
      await flows.createRun('hub-a', 10_000, run, [mainThread()], []);
      assert.equal(await flows.commitRun('hub-b', run.run_id, { threads: [mainThread({ state: 'elsewhere' })] }), false);
      assert.equal((await flows.getThreads(run.run_id))[0].state, 'a', 'nothing of a refused commit is applied');
      const child = mainThread({ thread_id: 't1', parent: { thread_id: 'main', index: 0 } });
      assert.equal(await flows.commitRun('hub-a', run.run_id, { threads: [mainThread({ phase: 'map' }), child] }), true);
      assert.equal((await flows.getThreads(run.run_id)).length, 2);
      assert.equal(await flows.commitRun('hub-a', run.run_id, { deleteThreads: ['t1'] }), true);
      assert.deepEqual((await flows.getThreads(run.run_id)).map((t) => t.thread_id), ['main']);
      const done = { ...run, status: 'SUCCEEDED' as const, output: { y: 2 }, completed_at: 5 };
      assert.equal(await flows.commitRun('hub-a', run.run_id, { run: done, events: [{ at: 5, type: 'run_succeeded' }] }), true);
      assert.deepEqual(await flows.getRun(run.run_id), done);
      assert.deepEqual(await flows.getThreads(run.run_id), []);
      assert.equal(await flows.commitRun('hub-a', run.run_id, { events: [{ at: 6, type: 'run_failed' }] }), false, 'a final run takes no more commits');
      assert.deepEqual(await flows.claimRuns('hub-b', 10_000, 100), []);
    });

    it('lists a user\'s runs newest first, by flow and status, a page at a time', async () => {
      const { flows } = await fresh();
      const flow = flowRecord('lister');
      const other = flowRecord('lister');
      const runs: FlowRunRecord[] = [];
      for (let i = 0; i < 5; i++) {
        const status: FlowRunStatus = i % 2 === 0 ? 'SUCCEEDED' : 'ACTIVE';
        const run = runRecord(i === 4 ? other : flow, { created_at: 1000 + i, status });
        runs.push(run);
        await flows.createRun('hub-a', 10_000, { ...run, status: 'ACTIVE' }, [mainThread()], []);
        if (status !== 'ACTIVE') await flows.commitRun('hub-a', run.run_id, { run });
      }
      await flows.createRun('hub-a', 10_000, runRecord(flowRecord('someone-else')), [], []);
      const ids = (list: FlowRunRecord[]) => list.map((run) => run.run_id);
      assert.deepEqual(ids(await flows.listRuns('lister', { limit: 10 })), ids([...runs].reverse()));
      assert.deepEqual(ids(await flows.listRuns('lister', { limit: 10, flowId: flow.flow_id, status: 'SUCCEEDED' })), ids([runs[2], runs[0]]));
      const page = await flows.listRuns('lister', { limit: 2 });
      const last = page[page.length - 1];
      assert.deepEqual(ids(await flows.listRuns('lister', { limit: 2, after: { created: last.created_at, runId: last.run_id } })), ids([runs[2], runs[1]]));
    });

    it('lets another hub claim a run once its lease ran out, and refuses the first hub\'s commits from then on', async () => {
      const first = await fresh();
      const second = openSecond ? await openSecond(first) : first;
      if (second !== first) opened.push(second);
      const run = runRecord(flowRecord());
      await first.flows.createRun('hub-a', 150, run, [mainThread()], []);
      assert.deepEqual(await second.flows.claimRuns('hub-b', 10_000, 100), [], 'a live lease is not claimed');
      await sleep(250);
      assert.deepEqual(await second.flows.claimRuns('hub-b', 10_000, 100), [run.run_id]);
      assert.deepEqual(await first.flows.claimRuns('hub-c', 10_000, 100), [], 'claimed once');
      assert.equal(await first.flows.commitRun('hub-a', run.run_id, { events: [{ at: 1, type: 'state_entered' }] }), false);
      assert.equal(await second.flows.commitRun('hub-b', run.run_id, { events: [{ at: 1, type: 'run_resumed', hub: 'hub-b' }] }), true);
      const renewed = await first.flows.renewRuns('hub-a', [run.run_id], 10_000);
      assert.deepEqual(renewed.lost, [run.run_id]);
    });

    it('tells the holder of requests on renewal: a poke once, a cancel until the run ends; a release frees the run at once', async () => {
      const { flows } = await fresh();
      const run = runRecord(flowRecord());
      await flows.createRun('hub-a', 10_000, run, [mainThread()], []);
      await flows.requestRun(run.run_id, 'poke');
      assert.deepEqual(await flows.renewRuns('hub-a', [run.run_id], 10_000), { lost: [], requests: [[run.run_id, 'poke']] });
      assert.deepEqual((await flows.renewRuns('hub-a', [run.run_id], 10_000)).requests, []);
      await flows.requestRun(run.run_id, 'cancel');
      await flows.requestRun(run.run_id, 'poke');
      assert.equal((await flows.getRun(run.run_id))?.cancel_requested, true);
      assert.deepEqual((await flows.renewRuns('hub-a', [run.run_id], 10_000)).requests, [[run.run_id, 'cancel']]);
      assert.deepEqual((await flows.renewRuns('hub-a', [run.run_id], 10_000)).requests, [[run.run_id, 'cancel']]);
      await flows.releaseRuns('hub-a', [run.run_id]);
      assert.deepEqual(await flows.claimRuns('hub-b', 10_000, 100), [run.run_id]);
      await flows.commitRun('hub-b', run.run_id, { run: { ...run, status: 'CANCELLED' } });
      assert.equal((await flows.getRun(run.run_id))?.cancel_requested, undefined);
      await flows.requestRun(run.run_id, 'poke');
      assert.deepEqual(await flows.renewRuns('hub-b', [run.run_id], 10_000), { lost: [run.run_id], requests: [] });
    });

    it('fires a schedule once per due time, and records webhook firings', async () => {
      const { flows } = await fresh();
      const trigger = { trigger_id: randomUUID(), flow_id: randomUUID(), owner: 'alice', kind: 'cron' as const, cron: '* * * * *', created_at: 1, next_fire_at: 60_000 };
      await flows.putTrigger(trigger);
      assert.deepEqual(await flows.getTrigger(trigger.trigger_id), trigger);
      assert.equal(await flows.fireTrigger(trigger.trigger_id, 60_001, { expectedNextAt: 60_000, nextAt: 120_000 }), true);
      assert.equal(await flows.fireTrigger(trigger.trigger_id, 60_002, { expectedNextAt: 60_000, nextAt: 120_000 }), false, 'the second hub loses');
      assert.deepEqual(await flows.getTrigger(trigger.trigger_id), { ...trigger, next_fire_at: 120_000, last_fired_at: 60_001 });
      const hook = { trigger_id: randomUUID(), flow_id: trigger.flow_id, owner: 'alice', kind: 'webhook' as const, created_at: 2, secret_hash: 'abc' };
      await flows.putTrigger(hook);
      assert.equal(await flows.fireTrigger(hook.trigger_id, 7), true);
      assert.equal((await flows.getTrigger(hook.trigger_id))?.last_fired_at, 7);
      assert.deepEqual((await flows.listTriggers()).map((t) => t.trigger_id).sort(), [trigger.trigger_id, hook.trigger_id].sort());
      assert.equal(await flows.deleteTrigger(hook.trigger_id), true);
      assert.equal(await flows.fireTrigger(hook.trigger_id, 8), false);
      assert.equal(await flows.getTrigger(hook.trigger_id), undefined);
    });

    if (reopen) {
      it('keeps flows, runs, threads and events when opened again', async () => {
        const first = await fresh();
        const flow = flowRecord();
        await first.flows.putFlow(flow);
        const run = runRecord(flow);
        await first.flows.createRun('hub-a', 10_000, run, [mainThread()], [{ at: 1, type: 'run_started' }]);
        await first.flows.commitRun('hub-a', run.run_id, { threads: [mainThread({ phase: 'action', step: 3 })], events: [{ at: 2, type: 'action_started', state: 'a' }] });
        await first.close();
        const second = await reopen(first);
        opened.push(second);
        assert.deepEqual(await second.flows.getFlow(flow.flow_id), flow);
        assert.deepEqual(await second.flows.getRun(run.run_id), run);
        assert.deepEqual(await second.flows.getThreads(run.run_id), [mainThread({ phase: 'action', step: 3 })]);
        assert.deepEqual((await second.flows.readRunEvents(run.run_id, 0, 10)).map((e) => e.type), ['run_started', 'action_started']);
      });
    }
  });
}
