import { parseArgs } from 'node:util';
import { POLICY_NAMES, type PolicyName, type TaskEvent } from '@funcx/protocol';
import { HubClient } from '@funcx/client';
import { cleanup, makeTempDir, startEndpoint, startHub } from '@funcx/testing';
import { benchImages, type BenchImages } from './routing/live-images.js';
import { seeded } from './routing/simulate.js';
import { log } from './options.js';
import { quantile } from './stats.js';

/**
 * The routing policies on a real hub with three real endpoints of different sizes: a few hundred tasks sent to
 * one endpoint group under each policy, once as one batch and once as a stream of single submissions, and where
 * they went and how long they took. Without --images the tasks carry no container image, so what tells the
 * policies apart is load; with --images N each task names one of N images (chosen at random, the same sequence
 * under every policy) and the endpoints run their workers in containers of it (bubblewrap over the image's root,
 * or podman), so a cold start is a real container start and warm containers decide.
 */
const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '300' },
    'task-ms': { type: 'string', default: '50' },
    rate: { type: 'string', default: '100' },
    python: { type: 'string', default: 'python3' },
    images: { type: 'string', default: '0' },
    runtime: { type: 'string', default: 'bwrap' },
  },
});
const TASKS = Number(values.tasks);
const TASK_MS = Number(values['task-ms']);
const RATE = Number(values.rate);
const IMAGE_COUNT = Number(values.images);
if (!Number.isInteger(IMAGE_COUNT) || IMAGE_COUNT < 0) throw new Error(`--images must be a whole number (got ${values.images})`);
if (values.runtime !== 'bwrap' && values.runtime !== 'podman') throw new Error(`--runtime must be bwrap or podman (got ${values.runtime})`);
const SITES: [string, number][] = [['small', 1], ['medium', 2], ['large', 4]];
const WORKERS = SITES.reduce((sum, [, workers]) => sum + workers, 0);
/** Long enough for every endpoint to send a heartbeat after the previous run, so the hub sees it idle. */
const SETTLE_MS = 2_500;
const SOURCE = 'import time\n\ndef work(ms):\n    time.sleep(ms / 1000)\n    return ms\n';

interface Final {
  at: number;
  endpointId: string;
  state: string;
}

/** Every final event the client sees, by task id, with the time it arrived. */
class Finals {
  private readonly seen = new Map<string, Final>();

  constructor(client: HubClient) {
    client.onTaskEvents((events: TaskEvent[]) => {
      const at = performance.now();
      for (const event of events) if (event.type === 'final') this.seen.set(event.task_id, { at, endpointId: event.endpoint_id ?? '', state: event.state });
    });
  }

  async waitAll(ids: string[], timeoutMs = 300_000): Promise<Final[]> {
    const deadline = Date.now() + timeoutMs;
    while (ids.some((id) => !this.seen.has(id))) {
      if (Date.now() > deadline) throw new Error(`${ids.filter((id) => !this.seen.has(id)).length} tasks did not finish in time`);
      await sleep(20);
    }
    return ids.map((id) => this.seen.get(id)!);
  }
}

interface Outcome {
  policy: PolicyName;
  mode: 'batch' | 'stream';
  perSite: number[];
  makespan: number;
  mean: number;
  p95: number;
  reason: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Each task's image: the same sequence under every policy. */
function imageSequence(images: string[]): (string | undefined)[] {
  const random = seeded(42);
  return Array.from({ length: TASKS }, () => (images.length > 0 ? images[Math.floor(random() * images.length)] : undefined));
}

async function run(client: HubClient, finals: Finals, functionId: string, siteIds: string[], policy: PolicyName, mode: 'batch' | 'stream', images: (string | undefined)[]): Promise<Outcome> {
  const task = (i: number) => ({ function_id: functionId, endpoint: 'group:live', policy, args: [TASK_MS], ...(images[i] ? { container_image: images[i] } : {}) });
  const submittedAt = new Map<string, number>();
  const start = performance.now();
  let ids: string[];
  if (mode === 'batch') {
    ids = (await client.submitLive(Array.from({ length: TASKS }, (_, i) => task(i)))).task_ids;
    for (const id of ids) submittedAt.set(id, start);
  } else {
    const submissions: Promise<string>[] = [];
    for (let i = 0; i < TASKS; i++) {
      const due = start + (i * 1_000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const at = performance.now();
      submissions.push(client.submitLive([task(i)]).then(({ task_ids }) => (submittedAt.set(task_ids[0], at), task_ids[0])));
    }
    ids = await Promise.all(submissions);
  }
  const done = await finals.waitAll(ids);
  const failed = done.filter((final) => final.state !== 'success').length;
  if (failed > 0) {
    const first = await client.getTask(ids[done.findIndex((final) => final.state !== 'success')]);
    throw new Error(`${failed} tasks failed under ${policy}; the first: ${JSON.stringify(first.error ?? first.state)}`);
  }
  const completions = ids.map((id, i) => done[i].at - submittedAt.get(id)!);
  const example = await client.getTask(ids[Math.floor(ids.length / 2)]);
  return {
    policy,
    mode,
    perSite: siteIds.map((siteId) => done.filter((final) => final.endpointId === siteId).length),
    makespan: (Math.max(...done.map((final) => final.at)) - start) / 1_000,
    mean: completions.reduce((sum, x) => sum + x, 0) / completions.length / 1_000,
    p95: quantile(completions, 0.95) / 1_000,
    reason: example.routing?.reason ?? '(not routed)',
  };
}

function printTable(title: string, outcomes: Outcome[]): void {
  console.log(title);
  const header = ['policy', ...SITES.map(([name, workers]) => `${name} (${workers} w)`), 'done after s', 'mean s', 'p95 s', 'reason of the middle task'];
  const rows = outcomes.map((outcome) => [
    outcome.policy,
    ...outcome.perSite.map((count) => `${count} (${Math.round((count / TASKS) * 100)}%)`),
    outcome.makespan.toFixed(2),
    outcome.mean.toFixed(2),
    outcome.p95.toFixed(2),
    outcome.reason,
  ]);
  const widths = header.map((heading, i) => Math.max(heading.length, ...rows.map((row) => row[i].length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => (i === 0 || i === row.length - 1 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
  console.log();
}

let images: BenchImages | undefined;
try {
  if (IMAGE_COUNT > 0) {
    images = benchImages(values.runtime as 'bwrap' | 'podman', IMAGE_COUNT);
    log(`${IMAGE_COUNT} images for ${values.runtime}: ${images.names.join(', ')}`);
  }
  const hub = await startHub({ funcxHome: makeTempDir('funcx-routing-live-'), extraArgs: ['--rate-limit', '0'] });
  log(`starting endpoints ${SITES.map(([name, workers]) => `${name} (${workers} workers)`).join(', ')}…`);
  const sites = await Promise.all(
    SITES.map(([name, workers]) => startEndpoint(hub, { name, workers, python: values.python, ...(images ? { config: images.endpointConfig(workers) } : {}) })),
  );
  const siteIds = sites.map((site) => site.endpointId);
  const client = new HubClient({ hubUrl: hub.url, token: hub.token, transports: ['websocket'] });
  await client.connect();
  const finals = new Finals(client);
  const { function_id } = await client.registerFunction({ name: 'work', language: 'python', entrypoint: 'work', source: SOURCE });
  await client.createEndpointGroup({ name: 'live', endpoints: SITES.map(([name]) => name) });

  const sequence = imageSequence(images?.names ?? []);
  if (!images) {
    log('warming up: every worker loads the function…');
    const warm = await client.submitLive(Array.from({ length: WORKERS * 3 }, () => ({ function_id, endpoint: 'group:live', policy: 'round-robin' as const, args: [1] })));
    await finals.waitAll(warm.task_ids);
  }

  const outcomes: Outcome[] = [];
  for (const mode of ['batch', 'stream'] as const) {
    for (const policy of POLICY_NAMES) {
      // With containers every policy starts from the same cold pool: endpoints started afresh would cost minutes,
      // so each run begins with the pools emptied of the previous run's images by warming an unused one.
      if (images) await resetPools(client, finals, function_id, images.reset);
      await sleep(SETTLE_MS);
      log(`${policy}, ${mode === 'batch' ? `one batch of ${TASKS}` : `a stream of ${TASKS} at ${RATE}/s`}…`);
      outcomes.push(await run(client, finals, function_id, siteIds, policy, mode, sequence));
    }
  }
  client.close();

  const ideal = (TASKS * TASK_MS) / WORKERS / 1_000;
  console.log(`\nrouting on a real hub: ${TASKS} tasks of ${TASK_MS} ms each to group:live, 3 endpoints of ${SITES.map(([, w]) => w).join(', ')} workers (${WORKERS} in all)`);
  console.log(`(node ${process.version}, ${values.python}, ${new Date().toISOString()}; all ${WORKERS} workers busy the whole time would take ${ideal.toFixed(2)} s)`);
  console.log(
    images
      ? `Each task names one of ${IMAGE_COUNT} images (${values.runtime}); every endpoint keeps at most its workers' count warm, soft mode.\n` +
          'Before each run every worker is moved to an image no task uses, so each policy starts cold.\n'
      : 'Without --images the tasks have no container image: the policies are compared on load only, and\n' +
          'warming-aware routes by free workers and load as least-loaded does.\n',
  );
  printTable(`one batch of ${TASKS} (one submission; the hub counts each decision into the next)`, outcomes.filter((outcome) => outcome.mode === 'batch'));
  printTable(`a stream of ${TASKS} single submissions at ${RATE}/s (completion: from each submission)`, outcomes.filter((outcome) => outcome.mode === 'stream'));
} finally {
  await cleanup();
  images?.remove();
}

/** Every worker of every endpoint busy with the image no measured task uses: the next run finds no warm container of its own. */
async function resetPools(client: HubClient, finals: Finals, functionId: string, image: string): Promise<void> {
  const tasks = Array.from({ length: WORKERS * 3 }, () => ({ function_id: functionId, endpoint: 'group:live', policy: 'round-robin' as const, args: [200], container_image: image }));
  await finals.waitAll((await client.submitLive(tasks)).task_ids);
}
