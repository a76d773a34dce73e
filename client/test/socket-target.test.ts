import assert from 'node:assert/strict';
import { test } from 'node:test';
import { socketTarget } from '../src/socket-target.js';

test('a hub at the root of its origin uses the default Socket.IO path', () => {
  assert.deepEqual(socketTarget('http://127.0.0.1:8470'), { url: 'http://127.0.0.1:8470/client', path: '/socket.io' });
});

test('a hub behind a proxy prefix is reached under that prefix', () => {
  assert.deepEqual(socketTarget('https://hub.example.org/user/ada/proxy/8470/'), {
    url: 'https://hub.example.org/client',
    path: '/user/ada/proxy/8470/socket.io',
  });
});
