import { HubClient } from '@funcx/client';
import { cleanup, configureEndpoint, makeTempDir, startHub, startRedis } from '@funcx/testing';
import { FinalWaiter, hubThroughput } from './hub-bench.js';
import { NOOP_SOURCE } from './options.js';

const redis = await startRedis();
const hub = await startHub({ funcxHome: makeTempDir('m-a-'), extraArgs: ['--store', `${redis.url}/0`, '--rate-limit', '0'], nodeArgs: ['--cpu-prof', '--cpu-prof-dir', '/tmp/prof18'] });
const endpoint = await configureEndpoint(hub, { name: 'm', workers: 2, python: 'python3' });
await endpoint.start();
const client = new HubClient({ hubUrl: hub.url, token: hub.token, transports: ['websocket'] });
await client.connect();
const waiter = new FinalWaiter(client);
const { function_id } = await client.registerFunction({ name: 'noop', language: 'python', entrypoint: 'noop', source: NOOP_SOURCE });
const task = { function_id, endpoint: 'm' };
for (let i = 0; i < 4; i++) console.log('rate', await hubThroughput(client, waiter, task, 10000));
client.close();
await endpoint.stop();
await hub.stop();
await cleanup();
