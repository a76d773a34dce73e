import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { HubClient } from '@funcx/client/hub-client';
import { FuncxService } from '../src/service';

type Listener = (state: 'disconnected' | 'connecting' | 'connected', error?: Error) => void;

/** A client whose connection attempts the test answers: each one fails as an unreachable hub would. */
class UnreachableClient {
  attempts = 0;
  connectionState: 'disconnected' | 'connecting' | 'connected' = 'disconnected';
  private readonly listeners = new Set<Listener>();
  readonly hubUrl = 'http://127.0.0.1:1';

  connect(): Promise<void> {
    this.attempts++;
    this.connectionState = 'disconnected';
    const error = Object.assign(new Error('connect ECONNREFUSED'), { code: 'FUNCX_HUB_UNREACHABLE' });
    for (const listener of this.listeners) listener('disconnected', error);
    return Promise.reject(error);
  }
  onConnectionChange(listener: Listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  onEndpointStatus() {
    return () => undefined;
  }
  onEndpointRemoved() {
    return () => undefined;
  }
  onTaskEvents() {
    return () => undefined;
  }
  close(): void {}
  getTask(): Promise<never> {
    return Promise.reject(new Error('unused'));
  }
}

describe('the extension service after the hub goes away', () => {
  let clients: UnreachableClient[];
  beforeEach(() => {
    (globalThis as { window?: unknown }).window = globalThis;
    mock.timers.enable({ apis: ['setTimeout'] });
    clients = [];
  });
  afterEach(() => mock.timers.reset());

  it('retries with a doubling delay up to 10 s, and tells the user once per outage', async () => {
    const service = new FuncxService({ hubUrl: 'http://127.0.0.1:1', token: 't' }, () => {
      const client = new UnreachableClient();
      clients.push(client);
      return client as unknown as HubClient;
    });
    const told: string[] = [];
    service.hubUnreachable.connect((_, message) => told.push(message));
    service.configure({ hubUrl: 'http://127.0.0.1:2', token: 't' });
    await Promise.resolve();
    const client = clients[clients.length - 1];
    assert.equal(client.attempts, 1);

    const attemptsAfter = (ms: number) => {
      mock.timers.tick(ms);
      return client.attempts;
    };
    assert.equal(attemptsAfter(999), 1, 'the first retry waits a second');
    assert.equal(attemptsAfter(1), 2);
    assert.equal(attemptsAfter(1_999), 2, 'then two seconds');
    assert.equal(attemptsAfter(1), 3);
    assert.equal(attemptsAfter(4_000), 4, 'then four');
    assert.equal(attemptsAfter(8_000), 5, 'then eight');
    assert.equal(attemptsAfter(9_999), 5, 'then at most ten');
    assert.equal(attemptsAfter(1), 6);
    assert.equal(attemptsAfter(10_000), 7);
    assert.equal(told.length, 1, 'one message for the whole outage');
    assert.match(told[0], /cannot reach the hub at http:\/\/127\.0\.0\.1:1/);
    service.dispose();
  });

  it('does not retry a refused token, which retrying cannot fix', async () => {
    const service = new FuncxService({ hubUrl: 'http://127.0.0.1:1', token: 't' }, () => {
      const client = new UnreachableClient();
      client.connect = function () {
        this.attempts++;
        const error = Object.assign(new Error('refused'), { code: 'FUNCX_UNAUTHORIZED' });
        for (const listener of (this as unknown as { listeners: Set<Listener> }).listeners) listener('disconnected', error);
        return Promise.reject(error);
      };
      clients.push(client);
      return client as unknown as HubClient;
    });
    service.configure({ hubUrl: 'http://127.0.0.1:2', token: 'bad' });
    await Promise.resolve();
    mock.timers.tick(60_000);
    assert.equal(clients[clients.length - 1].attempts, 1);
    service.dispose();
  });
});
