import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { DaemonFrame, DispatchedTask } from '@funcx/protocol';
import { makeTempDir } from '@funcx/testing';
import { DaemonSessions, SessionRefusal } from '../src/daemon-sessions.js';
import type { DaemonTask, ManagerLink } from '../src/manager-link.js';

/** The part of a manager's link the session table reads, recording what it is sent. */
function link(label: string) {
  const sent: DaemonFrame[] = [];
  const fake = { label, closed: false, load: { sessions: [] }, send: (frame: DaemonFrame) => sent.push(frame) };
  return { link: fake as unknown as ManagerLink, sent, fake };
}

let next = 0;
function entry(owner: string, session: string): DaemonTask {
  const task: DispatchedTask = { task_id: `t${++next}`, function_id: 'f', owner, args: [], kwargs: {}, session };
  return { task, state: 'waiting-for-nodes', timestamps: {}, since: 0, done: false, systemFailures: 0 };
}
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the daemon keeps each session on one manager', () => {
  test("every task of a session goes to its session's manager; another user's session of that name is another", () => {
    const sessions = new DaemonSessions(4);
    const a = link('manager 1');
    const b = link('manager 2');
    assert.equal(sessions.place(entry('alice', 'nb'), () => a.link), a.link);
    assert.equal(sessions.place(entry('alice', 'nb'), () => b.link), a.link, 'sticky');
    assert.equal(sessions.place(entry('bob', 'nb'), () => b.link), b.link, "bob's own session");
    assert.equal(sessions.size, 2);
  });

  test('past max_sessions a new session is refused with what to do, an existing one still runs', () => {
    const sessions = new DaemonSessions(1);
    const a = link('manager 1');
    sessions.place(entry('alice', 'one'), () => a.link);
    const refused = sessions.place(entry('bob', 'two'), () => a.link);
    assert.ok(refused instanceof SessionRefusal);
    assert.equal(refused.ename, 'SessionLimitReached');
    assert.match(refused.evalue, /^session two cannot start: this endpoint holds 1 session\(s\), as many as its max_sessions \(1\) allows; end one/);
    assert.equal(sessions.place(entry('alice', 'one'), () => undefined), a.link);
    assert.ok(new DaemonSessions(0).place(entry('alice', 'x'), () => a.link) instanceof SessionRefusal, 'max_sessions 0 allows none');
  });

  test('a session whose manager was lost starts afresh elsewhere, and its next task is told why', () => {
    const sessions = new DaemonSessions(4);
    const a = link('manager 1 on node7');
    const b = link('manager 2 on node8');
    sessions.place(entry('alice', 'nb'), () => a.link);
    sessions.lost(a.link, 'its connection closed');
    const next = entry('alice', 'nb');
    assert.equal(sessions.place(next, () => b.link), b.link);
    assert.equal(next.task.session_restarted, 'the manager 1 on node7 that held it was lost (its connection closed)');
    const after = entry('alice', 'nb');
    sessions.place(after, () => b.link);
    assert.equal(after.task.session_restarted, undefined, 'told once');
  });

  test('a released session frees its place; its next task is told why; an ended one is not', () => {
    const sessions = new DaemonSessions(1);
    const a = link('manager 1');
    sessions.place(entry('alice', 'idle'), () => a.link);
    sessions.gone(a.link, 'alice', 'idle', 'it was idle for 5 s and was released');
    assert.equal(sessions.size, 0);
    const next = entry('alice', 'idle');
    sessions.place(next, () => a.link);
    assert.equal(next.task.session_restarted, 'it was idle for 5 s and was released');
    sessions.end([{ owner: 'alice', name: 'idle' }]);
    assert.deepEqual(a.sent, [{ t: 'end-sessions', sessions: [{ owner: 'alice', name: 'idle' }] }]);
    const fresh = entry('alice', 'idle');
    sessions.place(fresh, () => a.link);
    assert.equal(fresh.task.session_restarted, undefined);
  });

  test('another manager cannot release a session it does not hold', () => {
    const sessions = new DaemonSessions(2);
    const a = link('manager 1');
    const b = link('manager 2');
    sessions.place(entry('alice', 'nb'), () => a.link);
    sessions.gone(b.link, 'alice', 'nb', 'forged');
    assert.equal(sessions.place(entry('alice', 'nb'), () => b.link), a.link);
  });

  test('the next daemon tells the next task of each session the last one held that the endpoint restarted', async () => {
    const file = join(makeTempDir('funcx-sessions-file-'), 'sessions.json');
    const first = new DaemonSessions(4, file);
    first.place(entry('alice', 'nb'), () => link('m').link);
    first.place(entry('bob', 'nb'), () => link('m').link);
    await settle();
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), [['alice', 'nb'], ['bob', 'nb']]);
    const second = new DaemonSessions(4, file);
    const next = entry('bob', 'nb');
    second.place(next, () => link('m2').link);
    assert.equal(next.task.session_restarted, 'the endpoint restarted');
    const other = entry('carol', 'nb');
    second.place(other, () => link('m2').link);
    assert.equal(other.task.session_restarted, undefined);
  });
});
