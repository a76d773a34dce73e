import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReadySet } from '../src/ready-set.js';

interface Member {
  name: string;
  room: number;
}

const member = (name: string, room: number): Member => ({ name, room });
const names = (set: ReadySet<Member>) => [...set].map((m) => m.name);

test('a member is in the set exactly when it was last noted with room', () => {
  const set = new ReadySet<Member>((m) => m.room);
  const a = member('a', 0);
  const b = member('b', 3);
  set.note(a);
  set.note(b);
  assert.deepEqual(names(set), ['b']);
  a.room = 1;
  set.note(a);
  assert.deepEqual(names(set), ['b', 'a']);
  assert.equal(set.size, 2);
  b.room = 0;
  set.note(b);
  assert.deepEqual(names(set), ['a']);
  assert.equal(set.has(b), false);
  set.remove(a);
  assert.equal(set.size, 0);
});

test('a member that fills up and frees room again goes to the back; noting one with room keeps its place', () => {
  const set = new ReadySet<Member>((m) => m.room);
  const [a, b, c] = [member('a', 1), member('b', 1), member('c', 1)];
  for (const m of [a, b, c]) set.note(m);
  set.note(a);
  assert.deepEqual(names(set), ['a', 'b', 'c']);
  a.room = 0;
  set.note(a);
  a.room = 2;
  set.note(a);
  assert.deepEqual(names(set), ['b', 'c', 'a']);
});

test('members can be noted and removed while the set is being visited', () => {
  const set = new ReadySet<Member>((m) => m.room);
  const members = ['a', 'b', 'c', 'd'].map((name) => member(name, 1));
  for (const m of members) set.note(m);
  const visited: string[] = [];
  for (const m of set) {
    visited.push(m.name);
    m.room = 0;
    if (m.name === 'b') set.remove(m);
    else set.note(m);
  }
  assert.deepEqual(visited, ['a', 'b', 'c', 'd']);
  assert.equal(set.size, 0);
});

test('a member sent to the back waits behind every other, and leaves the set if it has no room', () => {
  const set = new ReadySet<Member>((m) => m.room);
  const [a, b, c] = [member('a', 1), member('b', 1), member('c', 1)];
  for (const m of [a, b, c]) set.note(m);
  set.toBack(a);
  assert.deepEqual(names(set), ['b', 'c', 'a']);
  b.room = 0;
  set.toBack(b);
  assert.deepEqual(names(set), ['c', 'a']);
});
