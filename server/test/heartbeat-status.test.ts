import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { EndpointView } from '@funcx/protocol';
import { connectClient, connectEndpoint, registerEndpoint, startTestHub, waitFor, type TestHub } from './support/hub.js';

let hub: TestHub;
before(async () => {
  hub = await startTestHub();
});
after(async () => {
  await hub.cleanup();
});

it('a heartbeat with an unchanged load still sends the endpoint status with a newer last heartbeat', async (t) => {
  const created = await registerEndpoint(hub, 'laptop');
  const endpoint = await connectEndpoint(hub.url, created.endpoint_token);
  t.after(() => endpoint.disconnect());
  const listed = await hub.call('GET', `/v1/endpoints/${created.endpoint_id}`);
  const helloHeartbeat = (listed.body as EndpointView).status.last_heartbeat;
  assert.equal(typeof helloHeartbeat, 'number', 'hello counts as the first heartbeat');

  const client = await connectClient(hub.url, hub.token);
  t.after(() => client.disconnect());
  const statuses: EndpointView[] = [];
  client.on('endpoint:status', (views) => statuses.push(...views));

  await new Promise((resolve) => setTimeout(resolve, 20));
  // The same load connectEndpoint said hello with.
  endpoint.emit('heartbeat', { workers_total: 2, workers_busy: 0, queued: 0, running: 0, warm_images: [] });
  await waitFor(() => statuses.length > 0, 5000, 'endpoint:status after the heartbeat');

  const [view] = statuses;
  assert.equal(view.endpoint_id, created.endpoint_id);
  assert.equal(view.status.online, true);
  assert.equal(view.status.workers_total, 2);
  assert.ok(view.status.last_heartbeat! > helloHeartbeat!, `last_heartbeat ${view.status.last_heartbeat} is after ${helloHeartbeat}`);
});
