import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { EndpointLoad, EndpointView } from '@funcx/protocol';
import { EndpointPresence, STATUS_REFRESH_MS } from '../src/endpoints/presence.js';
import { connectClient, connectEndpoint, registerEndpoint, startTestHub, waitFor, type TestHub } from './support/hub.js';

let hub: TestHub;
before(async () => {
  hub = await startTestHub();
});
after(async () => {
  await hub.cleanup();
});

const idle: EndpointLoad = { workers_total: 2, workers_busy: 0, queued: 0, running: 0, warm_images: [] };

it('clients hear of a heartbeat that changes the load, not of one that changes nothing', async (t) => {
  const created = await registerEndpoint(hub, 'laptop');
  const endpoint = await connectEndpoint(hub.url, created.endpoint_token);
  t.after(() => endpoint.disconnect());
  const helloHeartbeat = ((await hub.call('GET', `/v1/endpoints/${created.endpoint_id}`)).body as EndpointView).status.last_heartbeat;
  assert.equal(typeof helloHeartbeat, 'number', 'hello counts as the first heartbeat');

  const client = await connectClient(hub.url, hub.token);
  t.after(() => client.disconnect());
  const statuses: EndpointView[] = [];
  client.on('endpoint:status', (views) => statuses.push(...views));

  endpoint.emit('heartbeat', idle);
  endpoint.emit('heartbeat', { ...idle, workers_busy: 1, running: 1 });
  await waitFor(() => statuses.length > 0, 5000, 'endpoint:status after the changed heartbeat');
  endpoint.emit('heartbeat', { ...idle, workers_busy: 1, running: 1 });
  endpoint.emit('heartbeat', { ...idle, workers_busy: 2, running: 2 });
  await waitFor(() => statuses.length > 1, 5000, 'endpoint:status after the second change');

  assert.deepEqual(statuses.map((view) => view.status.workers_busy), [1, 2], 'only the changes were sent');
  assert.ok(statuses[0].status.last_heartbeat! >= helloHeartbeat!);
});

it('an endpoint that reports thousands of huge image names is shown with a bounded list', async (t) => {
  const created = await registerEndpoint(hub, 'boastful');
  const endpoint = await connectEndpoint(hub.url, created.endpoint_token);
  t.after(() => endpoint.disconnect());
  const warm_images = Array.from({ length: 5000 }, (_, i) => ({ image: i % 2 === 0 ? `image-${i}` : 'x'.repeat(10_000), workers: 1e12, idle: 2e12 }));
  endpoint.emit('heartbeat', { ...idle, warm_images, workers_total: 1e12 });
  let view: EndpointView | undefined;
  for (let attempt = 0; attempt < 100; attempt++) {
    view = (await hub.call('GET', `/v1/endpoints/${created.endpoint_id}`)).body as EndpointView;
    if (view.status.warm_images.length > 0) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(view!.status.warm_images.length, 256);
  assert.ok(view!.status.warm_images.every((warm) => warm.image.length <= 512 && warm.workers === 1e9 && warm.idle <= warm.workers));
  assert.equal(view!.status.workers_total, 1e9);
});

it('an unchanged endpoint is announced again once the refresh interval has passed', () => {
  const presence = new EndpointPresence();
  presence.online('e', idle, 1_000);
  assert.equal(presence.heartbeat('e', idle, 3_000), false);
  assert.equal(presence.heartbeat('e', idle, 1_000 + STATUS_REFRESH_MS - 1), false);
  assert.equal(presence.heartbeat('e', idle, 1_000 + STATUS_REFRESH_MS), true);
  assert.equal(presence.heartbeat('e', idle, 1_000 + STATUS_REFRESH_MS + 2_000), false);
  assert.equal(presence.heartbeat('e', { ...idle, queued: 3 }, 1_000 + STATUS_REFRESH_MS + 4_000), true);
});
