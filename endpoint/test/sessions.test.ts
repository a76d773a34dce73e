import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { HubClient } from '@funcx/client';
import { FuncxError, type SessionView, type TaskRecord, type TaskSubmission } from '@funcx/protocol';
import { cleanup, makeTempDir, startEndpoint, startHub, taskFinished, waitFor, type EndpointProcess, type HubProcess } from '@funcx/testing';

/**
 * Sessions against a real hub, real daemons with their managers and real Python workers: state that lasts from
 * task to task, kept apart per user, told plainly when it is gone, released when idle, capped, and ended.
 */
describe('sessions', () => {
  let hub: HubProcess;
  let alice: HubClient;
  let bob: HubClient;
  /** Public (bob may use it), three workers. */
  let shared: EndpointProcess;
  /** Sessions released after a short idle time, at most one at a time. */
  let brief: EndpointProcess;
  let second: EndpointProcess;

  before(async () => {
    hub = await startHub({ funcxHome: makeTempDir('funcx-sessions-') });
    const bobToken = await hub.addUser('bob');
    [shared, brief, second] = await Promise.all([
      startEndpoint(hub, { name: 'shared', workers: 3, public: true, config: { sandbox: 'none' } }),
      startEndpoint(hub, { name: 'brief', workers: 2, config: { session_idle_s: 1, max_sessions: 1 } }),
      startEndpoint(hub, { name: 'second', workers: 1 }),
    ]);
    alice = new HubClient({ hubUrl: hub.url, token: hub.token });
    bob = new HubClient({ hubUrl: hub.url, token: bobToken });
  });
  after(cleanup);
  // Each session holds a worker: every test ends the ones it started.
  afterEach(async () => {
    for (const client of [alice, bob]) {
      for (const session of await client.listSessions()) await client.endSession(session.name, session.endpoint);
    }
  });

  const finished = (client: HubClient, taskId: string): Promise<TaskRecord> => taskFinished(client, taskId);
  const run = async (client: HubClient, source: string, extra: Partial<TaskSubmission> & { endpoint?: TaskSubmission['endpoint'] } = {}) =>
    finished(client, (await client.submit({ source, endpoint: 'shared', ...extra })).task_id);
  const value = async (client: HubClient, source: string, extra: Partial<TaskSubmission> = {}) => {
    const task = await run(client, source, extra);
    assert.equal(task.state, 'success', JSON.stringify(task.error));
    return task.result?.value;
  };
  const stderrOf = (task: TaskRecord) =>
    task.outputs.filter((output) => output.output_type === 'stream' && output.name === 'stderr').map((output) => (output as { text: string }).text).join('');
  const sessionsOf = async (client: HubClient, endpoint: string): Promise<SessionView[]> => client.listSessions(endpoint);

  test('a variable set in one task of a session is there in the next; a task without the session does not see it', async () => {
    assert.equal(await value(alice, 'x = 41', { session: 'nb' }), null);
    assert.equal(await value(alice, 'x + 1', { session: 'nb' }), 42);
    const outside = await run(alice, 'x + 1');
    assert.equal(outside.state, 'failed');
    assert.equal(outside.error?.ename, 'NameError');
    const task = await run(alice, 'x', { session: 'nb' });
    assert.equal(task.session, 'nb');
    assert.equal(task.session_restarted, undefined, 'nothing restarted');
  });

  test('functions run in a session see its variables as their globals and may change them', async () => {
    const fn = await alice.registerFunction({ name: 'bump', language: 'python', source: 'def bump(by):\n    global total\n    total = globals().get("total", 0) + by\n    return total\n', entrypoint: 'bump' });
    const bump = async () => {
      const task = await finished(alice, (await alice.submit({ function_id: fn.function_id, endpoint: 'shared', args: [5], session: 'fn' })).task_id);
      assert.equal(task.state, 'success', JSON.stringify(task.error));
      return task.result?.value;
    };
    assert.equal(await bump(), 5);
    assert.equal(await bump(), 10);
    assert.equal(await value(alice, 'total', { session: 'fn' }), 10);
  });

  test("two users' sessions of the same name are two sessions, on two workers", async () => {
    const endpoint = `${(await alice.whoami()).user}/shared`;
    await value(alice, 'secret = "alice"', { session: 'same' });
    await value(bob, 'secret = "bob"', { session: 'same', endpoint });
    const aliceSees = await value(alice, 'import os\n[secret, os.getpid()]', { session: 'same' });
    const bobSees = await value(bob, 'import os\n[secret, os.getpid()]', { session: 'same', endpoint });
    assert.equal((aliceSees as [string, number])[0], 'alice');
    assert.equal((bobSees as [string, number])[0], 'bob');
    assert.notEqual((aliceSees as [string, number])[1], (bobSees as [string, number])[1], 'each runs on a worker of its own');
    const bobReadsAlice = await run(bob, 'import gc\n[o for o in gc.get_objects() if isinstance(o, dict) and o.get("secret") == "alice"] != []', { session: 'same', endpoint });
    assert.equal(bobReadsAlice.result?.value, false, "alice's namespace is not in bob's worker");
    const bobs = await sessionsOf(bob, endpoint);
    assert.deepEqual(bobs.map((session) => session.name), ['same']);
    assert.ok(bobs.every((session) => session.owner === 'bob'), `bob sees only his own sessions: ${JSON.stringify(bobs)}`);
    await assert.rejects(bob.endSession('nb', endpoint), (error: FuncxError) => error.code === 'FUNCX_SESSION_NOT_FOUND');
  });

  test('a session whose worker is killed starts again in a fresh namespace, and its next task says so', async () => {
    const pid = (await value(alice, 'import os\nkept = 1\nos.getpid()', { session: 'fragile' })) as number;
    process.kill(pid, 'SIGKILL');
    // Once the endpoint has seen its worker go (a task sent at that very moment fails with WorkerDied, as any task).
    await waitFor(async () => (await sessionsOf(alice, 'shared')).some((session) => session.name === 'fragile' && /worker that held it exited/.test(session.restarted ?? '')), {
      what: 'the session without its worker',
      timeoutMs: 10_000,
      intervalMs: 50,
    });
    const next = await run(alice, '"kept" in dir()', { session: 'fragile' });
    assert.equal(next.state, 'success', JSON.stringify(next.error));
    assert.equal(next.result?.value, false, 'earlier variables are gone');
    assert.match(next.session_restarted ?? '', /^the worker that held it exited \((signal SIGKILL|exit code \d+)\)$/);
    assert.equal(stderrOf(next), `session fragile was restarted: ${next.session_restarted}; earlier variables are gone\n`);
    const after = await run(alice, 'kept = 2\nkept', { session: 'fragile' });
    assert.equal(after.session_restarted, undefined, 'only the first task after the restart is told');
  });

  test('a session task that times out takes its worker with it: the next task is told why', async () => {
    const slow = await run(alice, 'import time\ny = 1\ntime.sleep(30)', { session: 'slow', timeout_s: 0.5 });
    assert.equal(slow.state, 'failed');
    const next = await run(alice, '"y" in dir()', { session: 'slow' });
    assert.equal(next.result?.value, false);
    assert.match(next.session_restarted ?? '', /timed out after 0.5 s/);
  });

  test('an idle session is released after session_idle_s; the next task of its name says so', async () => {
    await value(alice, 'z = 3', { session: 'idle', endpoint: 'brief' });
    // Listed while it lives, then released once it has been idle for 1 s: the endpoint no longer reports it.
    let seen = false;
    await waitFor(
      async () => {
        const listed = (await sessionsOf(alice, 'brief')).some((session) => session.name === 'idle');
        seen ||= listed;
        return seen && !listed;
      },
      { what: 'the idle session listed, then released', timeoutMs: 20_000, intervalMs: 50 },
    );
    const next = await run(alice, '"z" in dir()', { session: 'idle', endpoint: 'brief' });
    assert.equal(next.result?.value, false);
    assert.match(next.session_restarted ?? '', /it was idle for 1 s and was released/);
    assert.match(stderrOf(next), /session idle was restarted: it was idle for 1 s and was released; earlier variables are gone/);
  });

  test('past max_sessions a new session fails with SessionLimitReached, and ending one makes room', async () => {
    await value(alice, 'a = 1', { session: 'first', endpoint: 'brief' });
    const refused = await run(alice, 'b = 1', { session: 'other', endpoint: 'brief' });
    assert.equal(refused.state, 'failed');
    assert.equal(refused.error?.ename, 'SessionLimitReached');
    assert.match(refused.error?.evalue ?? '', /holds 1 session\(s\), as many as its max_sessions \(1\) allows; end one/);
    const ended = await alice.endSession('first', 'brief');
    assert.equal(ended.name, 'first');
    await waitFor(async () => (await run(alice, 'b = 1\nb', { session: 'other', endpoint: 'brief' })).state === 'success', { what: 'a new session once one ended', timeoutMs: 20_000, intervalMs: 200 });
  });

  test('ending a session: its state is gone, unknown and bad names are refused', async () => {
    await value(alice, 'w = 1', { session: 'ending' });
    await alice.endSession('ending');
    const next = await run(alice, '"w" in dir()', { session: 'ending' });
    assert.equal(next.result?.value, false);
    assert.equal(next.session_restarted, undefined, 'the user ended it: a new session, nothing to warn about');
    await value(alice, 'w = 2', { session: 'twice' });
    await value(alice, 'w = 3', { session: 'twice', endpoint: 'second' });
    await assert.rejects(alice.endSession('twice'), (error: FuncxError) => error.code === 'FUNCX_BAD_REQUEST' && /lives on 2 endpoints \(second, shared\): name the one to end/.test(error.message));
    assert.equal((await alice.endSession('twice', 'second')).endpoint, 'second');
    assert.equal(await value(alice, 'w', { session: 'twice' }), 2, 'the one on shared lives on');
    await assert.rejects(alice.endSession('never-ran'), (error: FuncxError) => error.code === 'FUNCX_SESSION_NOT_FOUND' && /no session "never-ran"/.test(error.message));
    const bad = await fetch(`${hub.url}/v1/sessions/${encodeURIComponent('bad name!')}`, { method: 'DELETE', headers: { authorization: `Bearer ${hub.token}` } });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /session name/);
    await assert.rejects(
      alice.submit({ source: '1', endpoint: 'shared', session: 'mpi', resource_specification: { num_nodes: 1, ranks_per_node: 2 } }),
      (error: FuncxError) => error.code === 'FUNCX_BAD_REQUEST' && /cannot run in a session: give session or resource_specification, not both/.test(error.message),
    );
    await assert.rejects(alice.submit({ source: '1', endpoint: 'shared', session: '-x' }), (error: FuncxError) => error.code === 'FUNCX_BAD_REQUEST' && /session name/.test(error.message));
  });

  test('a session task sent to several endpoints goes where its session lives', async () => {
    const first = await run(alice, 'import os\nplace = os.getpid()\nplace', { session: 'routed', endpoint: ['shared', 'second'] });
    const home = first.endpoint_id;
    for (let i = 0; i < 4; i++) {
      const next = await run(alice, 'place', { session: 'routed', endpoint: ['second', 'shared'], policy: 'round-robin' });
      assert.equal(next.endpoint_id, home, 'pinned to the endpoint of its session');
      assert.equal(next.result?.value, first.result?.value);
      assert.match(next.routing?.reason ?? '', /session routed lives on this endpoint/);
    }
  });

  test('after the endpoint restarts, the next task of a session says its namespace is fresh', async () => {
    await value(alice, 'v = 1', { session: 'restart', endpoint: 'second' });
    await second.restart();
    const next = await run(alice, '"v" in dir()', { session: 'restart', endpoint: 'second' });
    assert.equal(next.result?.value, false);
    assert.equal(next.session_restarted, 'the endpoint restarted');
  });
});
