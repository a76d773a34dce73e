import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { collect, connectEndpoint, registerEndpoint, startTestHub, waitFor, type EndpointClient, type TestHub } from './support/hub.js';

let hub: TestHub;
let endpoint: EndpointClient;
let received: ReturnType<typeof collect>;

before(async () => {
  hub = await startTestHub();
  endpoint = await connectEndpoint(hub.url, (await registerEndpoint(hub, 'site')).endpoint_token);
  received = collect(endpoint);
});
after(async () => {
  endpoint.disconnect();
  await hub.cleanup();
});

it("a task runs in its function's container image unless it names its own, and the endpoint is told which", async () => {
  const fn = (await hub.call('POST', '/v1/functions', { name: 'f', source: 'pass', container_image: 'localhost/sci:1' })).body.function_id;
  const inherited = (await hub.call('POST', '/v1/tasks', { function_id: fn, endpoint: 'site' })).body.task_id;
  const own = (await hub.call('POST', '/v1/tasks', { function_id: fn, endpoint: 'site', container_image: 'docker.io/library/python:3.11' })).body.task_id;
  const none = (await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'site' })).body.task_id;
  await waitFor(() => received.tasks.length >= 3);
  const image = (id: string) => received.tasks.find((task) => task.task_id === id)?.container_image;
  assert.equal(image(inherited), 'localhost/sci:1');
  assert.equal(image(own), 'docker.io/library/python:3.11');
  assert.equal(image(none), undefined);
  assert.equal((await hub.call('GET', `/v1/tasks/${own}`)).body.container_image, 'docker.io/library/python:3.11');
  assert.equal((await hub.call('GET', `/v1/functions/${fn}`)).body.container_image, 'localhost/sci:1');
});

it('an image name that could be read as a command-line option, or holds spaces, is refused', async () => {
  for (const container_image of ['--privileged', '-v/:/host', 'a b', 'x;rm']) {
    const response = await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'site', container_image });
    assert.equal(response.statusCode, 400, container_image);
    assert.match(response.body.message, /not a valid container image: use an image reference/);
  }
});
