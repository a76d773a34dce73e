import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { EndpointGroupRecord, TaskRecord, TaskState } from '@funcx/protocol';
import type { Store } from '../src/store/store.js';

/** A fresh task record in the given state. */
export function task(state: TaskState = 'waiting-for-endpoint', extra: Partial<TaskRecord> = {}): TaskRecord {
  return {
    task_id: randomUUID(),
    function_id: randomUUID(),
    endpoint_id: 'e1',
    owner: 'alice',
    args: [1, 'two', { three: 3.25 }],
    kwargs: {},
    state,
    timestamps: { received: 1_763_880_463_123.456 },
    attempts: 0,
    outputs: [],
    ...extra,
  };
}

/** An endpoint group record, private. */
export function endpointGroup(groupId: string, owner: string, name: string, endpoints: string[]): EndpointGroupRecord {
  return { group_id: groupId, name, owner, endpoints, public: false, shared_with: { users: [], groups: [] }, created_at: 7 };
}

const LOAD = { workers_total: 2, workers_busy: 1, queued: 0, running: 1, warm_images: [] };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What every store must do, whatever it keeps its state in. `open` gives a store whose state is empty (a new
 * key prefix, a new directory); `openSecond`, when given, a second store over the same state (another hub).
 */
export function storeContract(name: string, open: () => Promise<Store>, openSecond?: (first: Store) => Promise<Store>): void {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    const opened: Store[] = [];
    const fresh = async () => {
      const s = await open();
      opened.push(s);
      return s;
    };
    before(async () => {
      store = await fresh();
    });
    after(async () => {
      for (const s of opened) await s.close();
    });

    it('keeps users and only the hashes of tokens, and deletes the tokens of one subject', async () => {
      const s = await fresh();
      await s.putUser({ name: 'alice', created_at: 1 });
      assert.deepEqual(await s.getUser('alice'), { name: 'alice', created_at: 1 });
      assert.equal(await s.getUser('bob'), undefined);
      await s.putToken({ hash: 'h1', kind: 'endpoint', subject: 'e1', created_at: 1 });
      await s.putToken({ hash: 'h2', kind: 'endpoint', subject: 'e1', created_at: 2 });
      await s.putToken({ hash: 'h3', kind: 'endpoint', subject: 'e2', created_at: 3 });
      assert.equal((await s.getToken('h2'))?.subject, 'e1');
      await s.deleteTokensOf('endpoint', 'e1');
      assert.equal(await s.getToken('h1'), undefined);
      assert.equal(await s.getToken('h2'), undefined);
      assert.equal((await s.getToken('h3'))?.subject, 'e2');
    });

    it('lists users with their admin flag, looks tokens up in bulk and counts them per user', async () => {
      const s = await fresh();
      await s.putUser({ name: 'alice', created_at: 1, admin: true });
      await s.putUser({ name: 'bob', created_at: 2 });
      const users = (await s.listUsers()).sort((a, b) => a.name.localeCompare(b.name));
      assert.deepEqual(users, [{ name: 'alice', created_at: 1, admin: true }, { name: 'bob', created_at: 2 }]);
      await s.putToken({ hash: 'ua', kind: 'user', subject: 'alice', created_at: 1 });
      await s.putToken({ hash: 'ub1', kind: 'user', subject: 'bob', created_at: 1 });
      await s.putToken({ hash: 'ub2', kind: 'user', subject: 'bob', created_at: 2 });
      assert.deepEqual((await s.getTokens(['ub2', 'nope', 'ua'])).map((t) => t?.subject), ['bob', undefined, 'alice']);
      assert.deepEqual(await s.countTokens('user', ['alice', 'bob', 'carol']), [1, 2, 0]);
      await s.deleteTokensOf('user', 'bob');
      assert.deepEqual(await s.countTokens('user', ['alice', 'bob']), [1, 0]);
      assert.deepEqual((await s.getTokens(['ub1', 'ua'])).map((t) => t?.subject), [undefined, 'alice']);
    });

    it('creates a group once, changes its members in one step and deletes it', async () => {
      const s = await fresh();
      const group = { name: 'lab', members: ['alice', 'bob'], created_at: 5, created_by: 'alice' };
      assert.equal(await s.createGroup(group), true);
      assert.equal(await s.createGroup({ ...group, members: [] }), false, 'a second group of that name is refused');
      assert.deepEqual({ ...(await s.getGroup('lab'))!, members: (await s.getGroup('lab'))!.members.sort() }, group);
      const changed = await s.changeGroupMembers('lab', ['carol', 'dave'], ['bob', 'dave']);
      assert.deepEqual(changed?.members.sort(), ['alice', 'carol']);
      assert.equal(await s.changeGroupMembers('nope', ['x'], []), undefined);
      assert.equal(await s.createGroup({ name: 'empty', members: [], created_at: 6 }), true);
      assert.deepEqual((await s.getGroup('empty'))?.members, []);
      assert.deepEqual((await s.listGroups()).map((g) => g.name).sort(), ['empty', 'lab']);
      assert.equal(await s.deleteGroup('lab'), true);
      assert.equal(await s.deleteGroup('lab'), false);
      assert.equal(await s.getGroup('lab'), undefined);
      assert.equal(await s.createGroup({ name: 'lab', members: [], created_at: 7 }), true, 'a deleted name can be used again');
      assert.deepEqual((await s.getGroup('lab'))?.members, [], 'without the old members');
    });

    it('appends audit entries in order and reads the newest, by user and since a time', async () => {
      const s = await fresh();
      const base = Date.now();
      const entries = Array.from({ length: 30 }, (_, i) => ({
        at: base + i,
        user: i % 3 === 0 ? 'bob' : 'alice',
        action: 'task.submit' as const,
        via: 'rest' as const,
        endpoint_ids: ['e1'],
        function_ids: ['f1'],
        task_count: i + 1,
      }));
      await s.appendAudit(entries.slice(0, 10));
      await s.appendAudit(entries.slice(10));
      const all = await s.readAudit({ limit: 100 });
      assert.deepEqual(all.map((e) => e.task_count), entries.map((e) => e.task_count), 'oldest first, nothing lost');
      assert.ok(all.every((e) => typeof e.id === 'string' && e.id.length > 0));
      assert.equal(new Set(all.map((e) => e.id)).size, 30, 'ids are unique');
      assert.deepEqual((await s.readAudit({ limit: 3 })).map((e) => e.task_count), [28, 29, 30], 'the newest N');
      const bobs = await s.readAudit({ user: 'bob', limit: 4 });
      assert.deepEqual(bobs.map((e) => e.task_count), [19, 22, 25, 28]);
      const recent = await s.readAudit({ since: base + 25, limit: 100 });
      assert.deepEqual(recent.map((e) => e.task_count), [26, 27, 28, 29, 30]);
      assert.deepEqual(await s.readAudit({ user: 'nobody', limit: 10 }), []);
    });

    it('registers, lists and deletes functions and endpoints', async () => {
      const s = await fresh();
      const fn = { function_id: 'f1', name: 'add', owner: 'alice', source: 'pass', language: 'python' as const, public: false, created_at: 1 };
      await s.putFunction(fn);
      assert.deepEqual(await s.getFunction('f1'), fn);
      assert.deepEqual((await s.listFunctions()).map((f) => f.function_id), ['f1']);
      assert.equal(await s.deleteFunction('f1'), true);
      assert.equal(await s.deleteFunction('f1'), false);
      assert.deepEqual(await s.listFunctions(), []);
      const endpoint = { endpoint_id: 'e1', name: 'laptop', owner: 'alice', public: false, created_at: 1, location: { lat: 41.7, lon: -87.9 } };
      await s.putEndpoint(endpoint);
      assert.deepEqual(await s.getEndpoint('e1'), endpoint);
      assert.equal((await s.listEndpoints()).length, 1);
      assert.deepEqual(await s.findEndpoint('alice', 'laptop'), endpoint);
      assert.equal(await s.findEndpoint('bob', 'laptop'), undefined, "another owner's name is not this one");
      assert.equal(await s.findEndpoint('alice', 'cluster'), undefined);
      assert.equal(await s.deleteEndpoint('e1'), true);
      assert.equal(await s.getEndpoint('e1'), undefined);
      assert.equal(await s.findEndpoint('alice', 'laptop'), undefined, 'a deleted endpoint is not found by its name');
    });

    it('creates an endpoint group once per owner and name, replaces it, and frees its name when deleted', async () => {
      const s = await fresh();
      const group = endpointGroup('g1', 'alice', 'gpus', ['e1', 'e2']);
      assert.equal(await s.createEndpointGroup(group), true);
      assert.equal(await s.createEndpointGroup(endpointGroup('g2', 'alice', 'gpus', ['e3'])), false, "the owner's name is taken");
      assert.equal(await s.createEndpointGroup(endpointGroup('g3', 'bob', 'gpus', [])), true, 'another owner may use the name');
      assert.deepEqual(await s.getEndpointGroup('g1'), group);
      assert.equal(await s.getEndpointGroup('g2'), undefined);
      assert.deepEqual(await s.findEndpointGroup('alice', 'gpus'), group);
      assert.equal((await s.findEndpointGroup('bob', 'gpus'))?.group_id, 'g3');
      assert.equal(await s.findEndpointGroup('carol', 'gpus'), undefined);
      const changed = { ...group, endpoints: ['e2'], policy: 'round-robin' as const, shared_with: { users: ['bob'], groups: ['lab'] } };
      await s.putEndpointGroup(changed);
      assert.deepEqual(await s.getEndpointGroup('g1'), changed);
      assert.deepEqual((await s.listEndpointGroups()).map((g) => g.group_id).sort(), ['g1', 'g3']);
      assert.equal(await s.deleteEndpointGroup('g1'), true);
      assert.equal(await s.deleteEndpointGroup('g1'), false);
      assert.equal(await s.getEndpointGroup('g1'), undefined);
      assert.equal(await s.findEndpointGroup('alice', 'gpus'), undefined);
      assert.equal(await s.createEndpointGroup(endpointGroup('g4', 'alice', 'gpus', [])), true, 'the name is free again');
    });

    it('keeps the routing of a task with its record', async () => {
      const routed = task('waiting-for-endpoint', { routing: { policy: 'least-loaded', reason: 'least loaded: 0 of 4 workers busy, 0 queued', candidates: ['e1', 'e2'], group: 'group:gpus' } });
      await store.putTasks([routed]);
      const [got] = await store.getTasks([routed.task_id]);
      assert.deepEqual(got?.routing, routed.routing);
    });

    it('returns task records in the order asked, undefined for unknown ids, numbers exact', async () => {
      const a = task();
      const b = task('running');
      await store.putTasks([a, b]);
      const [gotB, missing, gotA] = await store.getTasks([b.task_id, randomUUID(), a.task_id]);
      assert.deepEqual(gotA, a);
      assert.deepEqual(gotB, b);
      assert.equal(missing, undefined);
      const unfinished = (await store.listUnfinishedTasks()).map((t) => t.task_id);
      assert.ok(unfinished.includes(a.task_id) && unfinished.includes(b.task_id));
    });

    it("lists a user's tasks newest first, filtered, a page at a time, and never another user's", async () => {
      const s = await fresh();
      const owner = `lister-${randomUUID().slice(0, 8)}`;
      const at = (i: number) => ({ received: 1_700_000_000_000 + i * 1000 });
      const mine = Array.from({ length: 7 }, (_, i) =>
        task(i % 2 === 0 ? 'success' : 'running', { owner, endpoint_id: i < 4 ? 'e1' : 'e2', timestamps: at(i) }),
      );
      const tied = task('running', { owner, timestamps: at(3) });
      await s.putTasks([...mine, tied, task('running', { owner: `${owner}-other`, timestamps: at(9) })]);
      await s.putTasks([{ ...mine[0], state: 'success' }]);
      const newest = await s.listTasks(owner, { limit: 100 });
      assert.equal(newest.length, 8, 'each task once, another user\'s never');
      const order = newest.map((t) => t.timestamps.received);
      assert.deepEqual(order, [...order].sort((a, b) => b! - a!));
      const pages: string[] = [];
      let after: { received: number; taskId: string } | undefined;
      for (;;) {
        const page = await s.listTasks(owner, { limit: 3, after });
        pages.push(...page.map((t) => t.task_id));
        if (page.length < 3) break;
        const last = page[page.length - 1];
        after = { received: last.timestamps.received!, taskId: last.task_id };
      }
      assert.deepEqual(pages, newest.map((t) => t.task_id), 'the pages, put together, are the whole list (ties included)');
      const running = await s.listTasks(owner, { limit: 100, state: 'running', endpointId: 'e2' });
      assert.deepEqual(running.map((t) => t.task_id), [mine[5].task_id]);
    });

    it('keeps the first final state of a task, whatever is put after it', async () => {
      const first = task('success', { result: { value: 1, data: { 'text/plain': '1' } } });
      await store.putTasks([first]);
      const second = { ...structuredClone(first), state: 'failed' as const, result: undefined, error: { ename: 'X', evalue: 'late', traceback: [] } };
      const stale = { ...structuredClone(first), state: 'running' as const };
      const other = task();
      const refused = await store.putTasks([second, other, stale]);
      assert.deepEqual(refused, [first.task_id, first.task_id]);
      const [stored, storedOther] = await store.getTasks([first.task_id, other.task_id]);
      assert.equal(stored?.state, 'success');
      assert.deepEqual(stored?.result, first.result);
      assert.equal(stored?.error, undefined);
      assert.equal(storedOther?.state, 'waiting-for-endpoint');
      assert.ok(!(await store.listUnfinishedTasks()).some((t) => t.task_id === first.task_id));
    });

    it('writes new tasks whose ids the hub made like any other: listed, unfinished, counted, and final once', async () => {
      const owner = `maker-${randomUUID().slice(0, 8)}`;
      const made = [task('waiting-for-endpoint', { owner, attempts: 0 }), task('waiting-for-endpoint', { owner })];
      const given = task('waiting-for-endpoint', { owner });
      assert.deepEqual(await store.putTasks([...made, given], new Set(made.map((t) => t.task_id))), []);
      assert.deepEqual((await store.getTasks(made.map((t) => t.task_id))).map((t) => t?.state), ['waiting-for-endpoint', 'waiting-for-endpoint']);
      assert.equal((await store.listTasks(owner, { limit: 10 })).length, 3, "each in its owner's list");
      const unfinished = new Set((await store.listUnfinishedTasks()).map((t) => t.task_id));
      assert.ok(made.every((t) => unfinished.has(t.task_id)));
      const e = `m-${randomUUID()}`;
      await store.enqueue(e, [made[0].task_id]);
      await store.take(e, 1);
      assert.equal((await store.getTasks([made[0].task_id]))[0]?.attempts, 1, 'its attempts are counted from 0');
      const done = { ...structuredClone(made[1]), state: 'success' as const };
      assert.deepEqual(await store.putTasks([done]), []);
      assert.deepEqual(await store.putTasks([{ ...structuredClone(made[1]), state: 'failed' as const }]), [made[1].task_id]);
      assert.ok(!(await store.listUnfinishedTasks()).some((t) => t.task_id === made[1].task_id));
    });

    it('queues ids in order, takes from the front, puts taken ids back at the front', async () => {
      const e = `q-${randomUUID()}`;
      const tasks = [task(), task(), task(), task()].map((t) => ({ ...t, endpoint_id: e }));
      const [a, b, c, d] = tasks.map((t) => t.task_id);
      await store.putTasks(tasks);
      await store.enqueue(e, [a, b, c]);
      await store.enqueue(e, [b, d]);
      assert.equal(await store.queueLength(e), 4);
      assert.deepEqual(await store.take(e, 2), [a, b]);
      assert.deepEqual((await store.inFlight(e)).sort(), [a, b].sort());
      assert.equal(await store.queueLength(e), 2);
      await store.requeue(e, [a, b]);
      assert.deepEqual(await store.inFlight(e), []);
      assert.deepEqual(await store.take(e, 10), [a, b, c, d]);
      assert.deepEqual(await store.take(e, 10), []);
    });

    it('counts one attempt each time a task is taken', async () => {
      const e = `a-${randomUUID()}`;
      const t = { ...task(), endpoint_id: e };
      await store.putTasks([t]);
      await store.enqueue(e, [t.task_id]);
      await store.take(e, 1);
      await store.requeue(e, [t.task_id]);
      await store.take(e, 1);
      assert.equal((await store.getTasks([t.task_id]))[0]?.attempts, 2);
    });

    it('releases finished ids from the queue and the in-flight set, and drops a whole queue', async () => {
      const e = `r-${randomUUID()}`;
      const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      await store.enqueue(e, ids);
      await store.take(e, 2);
      await store.release(e, [ids[0], ids[2]]);
      assert.deepEqual(await store.inFlight(e), [ids[1]]);
      assert.equal(await store.queueLength(e), 1);
      assert.deepEqual((await store.dropQueue(e)).sort(), [ids[1], ids[3]].sort());
      assert.equal(await store.queueLength(e), 0);
      assert.deepEqual(await store.inFlight(e), []);
    });

    it('claims ids an endpoint says it holds back from the queue into the in-flight set', async () => {
      const e = `c-${randomUUID()}`;
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      await store.enqueue(e, ids);
      await store.claim(e, [ids[1]]);
      assert.deepEqual(await store.inFlight(e), [ids[1]]);
      assert.deepEqual(await store.take(e, 10), [ids[0], ids[2]]);
    });

    it('counts the ids each endpoint has in flight, for several endpoints in one call', async () => {
      const [a, b, none] = [`n-${randomUUID()}`, `n-${randomUUID()}`, `n-${randomUUID()}`];
      await store.enqueue(a, [randomUUID(), randomUUID(), randomUUID()]);
      await store.enqueue(b, [randomUUID()]);
      await store.take(a, 2);
      await store.take(b, 5);
      assert.deepEqual(await store.inFlightCounts([a, b, none]), [2, 1, 0]);
      await store.release(a, await store.inFlight(a));
      assert.deepEqual(await store.inFlightCounts([a]), [0]);
      assert.deepEqual(await store.inFlightCounts([]), []);
    });

    it('shows an endpoint present until its presence runs out, and reaps its lease once', async () => {
      const e = `l-${randomUUID()}`;
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      await store.enqueue(e, ids);
      await store.keepAlive(e, { load: LOAD, last_heartbeat: 5 }, 150, 300);
      assert.deepEqual(await store.take(e, 2), ids.slice(0, 2));
      assert.deepEqual(await store.getPresence([e, 'nobody']), [{ load: LOAD, last_heartbeat: 5 }, undefined]);
      assert.ok(!(await store.reapExpiredLeases()).some((lease) => lease.endpointId === e), 'a live lease is not reaped');
      await sleep(200);
      assert.deepEqual(await store.getPresence([e]), [undefined]);
      await sleep(200);
      const reaped = (await store.reapExpiredLeases()).filter((lease) => lease.endpointId === e);
      assert.equal(reaped.length, 1);
      assert.deepEqual([...reaped[0].taskIds].sort(), ids.slice(0, 2).sort());
      assert.deepEqual(await store.inFlight(e), []);
      assert.deepEqual((await store.take(e, 10)).sort(), [...ids].sort(), 'reaped ids are queued again');
      assert.ok(!(await store.reapExpiredLeases()).some((lease) => lease.endpointId === e), 'a lease is reaped once');
    });

    it('ends presence at once when an endpoint disconnects', async () => {
      const e = `p-${randomUUID()}`;
      await store.keepAlive(e, { load: LOAD, last_heartbeat: 1 }, 10_000, 10_000);
      await store.endPresence(e);
      assert.deepEqual(await store.getPresence([e]), [undefined]);
    });

    it('handles a batch of 5,000 tasks in single calls', async () => {
      const e = `b-${randomUUID()}`;
      const tasks = Array.from({ length: 5_000 }, () => ({ ...task(), endpoint_id: e }));
      const ids = tasks.map((t) => t.task_id);
      assert.deepEqual(await store.putTasks(tasks), []);
      await store.enqueue(e, ids);
      const taken = await store.take(e, 10_000);
      assert.deepEqual(taken, ids);
      const got = await store.getTasks(ids);
      assert.ok(got.every((t, i) => t?.task_id === ids[i] && t.attempts === 1));
      const done = got.map((t) => ({ ...t!, state: 'success' as const }));
      assert.deepEqual(await store.putTasks(done), []);
      await store.release(e, ids);
      assert.deepEqual(await store.inFlight(e), []);
    });

    if (openSecond) {
      it('gives each queued id to exactly one of two hubs taking at once', async () => {
        const other = await openSecond(store);
        opened.push(other);
        const e = `m-${randomUUID()}`;
        const ids = Array.from({ length: 400 }, () => randomUUID());
        await store.enqueue(e, ids);
        const takes: Promise<string[]>[] = [];
        for (let i = 0; i < 20; i++) takes.push((i % 2 === 0 ? store : other).take(e, 25));
        const taken = (await Promise.all(takes)).flat();
        assert.equal(taken.length, 400);
        assert.equal(new Set(taken).size, 400);
      });

      it('gives an endpoint group name to one of two hubs creating it at once', async () => {
        const other = await openSecond(store);
        opened.push(other);
        const name = `race-${randomUUID().slice(0, 8)}`;
        const created = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? store : other).createEndpointGroup(endpointGroup(`r${i}-${name}`, 'alice', name, []))),
        );
        assert.equal(created.filter(Boolean).length, 1);
        assert.equal((await other.listEndpointGroups()).filter((g) => g.name === name).length, 1);
      });

      it('records one final state when two hubs finish a task at once', async () => {
        const other = await openSecond(store);
        opened.push(other);
        const tasks = Array.from({ length: 200 }, () => task('running'));
        await store.putTasks(tasks);
        const viaA = tasks.map((t) => ({ ...structuredClone(t), state: 'success' as const }));
        const viaB = tasks.map((t) => ({ ...structuredClone(t), state: 'cancelled' as const }));
        const [refusedA, refusedB] = await Promise.all([store.putTasks(viaA), other.putTasks(viaB)]);
        assert.equal(refusedA.length + refusedB.length, 200, 'each task is refused to exactly one of them');
        const stored = await other.getTasks(tasks.map((t) => t.task_id));
        const refusedToA = new Set(refusedA);
        for (const t of stored) assert.equal(t?.state, refusedToA.has(t!.task_id) ? 'cancelled' : 'success');
      });
    }
  });
}
