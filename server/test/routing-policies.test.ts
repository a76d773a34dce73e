import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assign, newRoutingState, POLICIES, type RoutingCandidate } from '../src/routing/index.js';

function candidate(name: string, overrides: Partial<RoutingCandidate> = {}): RoutingCandidate {
  return { endpoint_id: `id-${name}`, name, online: true, workers_total: 4, workers_busy: 0, queued: 0, warm: [], ...overrides };
}

const task = { image: 'localhost/sci' };

describe('routing policies', () => {
  it('warming-aware picks the endpoint with an idle worker warm for the image, and says so', () => {
    const cold = candidate('cold');
    const warm = candidate('warm', { workers_busy: 3, warm: [{ image: 'localhost/sci', workers: 2, idle: 1 }] });
    const decision = POLICIES['warming-aware'](task, [cold, warm], newRoutingState());
    assert.deepEqual(decision, { endpoint_id: 'id-warm', policy: 'warming-aware', reason: 'warm for image localhost/sci, 1 idle worker' });
  });

  it('warming-aware starts cold on the least loaded endpoint with a free worker when none is warm', () => {
    const busy = candidate('busy', { workers_busy: 3 });
    const free = candidate('free', { workers_busy: 1 });
    const full = candidate('full', { workers_busy: 4, queued: 8, warm: [{ image: 'localhost/sci', workers: 4, idle: 0 }] });
    const decision = POLICIES['warming-aware'](task, [busy, free, full], newRoutingState())!;
    assert.equal(decision.endpoint_id, 'id-free');
    assert.match(decision.reason, /^cold start: no idle worker warm for image localhost\/sci; 1 of 4 workers busy, 0 queued$/);
  });

  it('warming-aware waits for a busy warm worker rather than start cold while the warm queue is short', () => {
    const free = candidate('free');
    const warmBusy = candidate('warm', { workers_busy: 4, queued: 1, warm: [{ image: 'localhost/sci', workers: 2, idle: 0 }] });
    const decision = POLICIES['warming-aware'](task, [free, warmBusy], newRoutingState())!;
    assert.equal(decision.endpoint_id, 'id-warm');
    assert.equal(decision.reason, 'warm for image localhost/sci (2 warm workers, all busy, 1 queued)');
  });

  it('warming-aware queues on the least loaded endpoint when every worker is busy', () => {
    const a = candidate('a', { workers_busy: 4, queued: 5 });
    const b = candidate('b', { workers_busy: 4, queued: 1 });
    const decision = POLICIES['warming-aware'](task, [a, b], newRoutingState())!;
    assert.equal(decision.endpoint_id, 'id-b');
    assert.match(decision.reason, /^queued: every worker busy/);
  });

  it('offline endpoints are chosen only when no candidate is online', () => {
    const offline = candidate('offline', { online: false, warm: [{ image: 'localhost/sci', workers: 4, idle: 4 }] });
    const online = candidate('online', { workers_busy: 4 });
    for (const policy of Object.values(POLICIES)) {
      assert.equal(policy(task, [offline, online], newRoutingState(() => 0))!.endpoint_id, 'id-online');
      assert.equal(policy(task, [offline], newRoutingState(() => 0))!.endpoint_id, 'id-offline');
      assert.equal(policy(task, [], newRoutingState()), undefined);
    }
  });

  it('round-robin takes the endpoints in turn; random follows its source of randomness', () => {
    const candidates = [candidate('a'), candidate('b'), candidate('c')];
    const state = newRoutingState();
    const turns = Array.from({ length: 5 }, () => POLICIES['round-robin'](task, candidates, state)!.endpoint_id);
    assert.deepEqual(turns, ['id-a', 'id-b', 'id-c', 'id-a', 'id-b']);
    assert.equal(POLICIES.random(task, candidates, newRoutingState(() => 0.99))!.endpoint_id, 'id-c');
  });

  it('least-loaded counts queued tasks per worker', () => {
    const small = candidate('small', { workers_total: 1, workers_busy: 1, queued: 1 });
    const large = candidate('large', { workers_total: 8, workers_busy: 8, queued: 4 });
    assert.equal(POLICIES['least-loaded'](task, [small, large], newRoutingState())!.endpoint_id, 'id-large');
  });

  it('a batch routed one task after another stays where its image is warm until each warm worker has a task queued, then starts cold elsewhere', () => {
    const warm = candidate('warm', { workers_total: 2, warm: [{ image: 'localhost/sci', workers: 2, idle: 2 }] });
    const other = candidate('other', { workers_total: 2 });
    const candidates = [warm, other];
    const chosen: string[] = [];
    for (let i = 0; i < 5; i++) {
      const decision = POLICIES['warming-aware'](task, candidates, newRoutingState())!;
      chosen.push(decision.endpoint_id);
      assign(candidates.find((c) => c.endpoint_id === decision.endpoint_id)!, task);
    }
    assert.deepEqual(chosen, ['id-warm', 'id-warm', 'id-warm', 'id-warm', 'id-other']);
  });

  it('warming-aware routes a task without a container image by free workers, and says it has no image', () => {
    const bare = { image: '' };
    const busy = candidate('busy', { workers_busy: 3 });
    const free = candidate('free', { workers_busy: 1 });
    assert.equal(POLICIES['warming-aware'](bare, [busy, free], newRoutingState())!.reason, 'no container image: a free worker; 1 of 4 workers busy, 0 queued');
    const ran = candidate('ran', { workers_busy: 2, warm: [{ image: '', workers: 2, idle: 2 }] });
    assert.equal(POLICIES['warming-aware'](bare, [free, ran], newRoutingState())!.reason, 'no container image: 2 idle workers');
  });
});
