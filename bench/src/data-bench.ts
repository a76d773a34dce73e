import { mkdtempSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HubClient } from '@funcx/client';
import type { JsonValue, TaskRecord } from '@funcx/protocol';
import { cleanup, makeTempDir, startEndpoint, startHub, startRedis, type HubProcess } from '@funcx/testing';
import { log } from './options.js';
import { quantile } from './stats.js';

/**
 * The funcX data experiment: two functions in sequence on one endpoint, the first producing a value of 1 KB to
 * 100 MB, the second consuming it; through the endpoint's in-memory store, a Redis store, the files store (a
 * directory), and by hand through a shared directory (the first writes a file, the second reads it), with
 * values inline through the hub beside them where they fit. Printed, never asserted.
 */
const { values: flags } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,1000000,10000000,100000000' },
    python: { type: 'string', default: 'python3' },
    // A directory on a shared file system (NFS, sshfs, Lustre…): the by-hand baseline writes there, and the files
    // store runs there too. Without it, both use this machine's own disk.
    'shared-dir': { type: 'string' },
  },
});
const sharedDir = flags['shared-dir'];
/** A fresh directory on the shared file system if one was given, else on this machine's disk. */
const sharedSubdir = (prefix: string) => (sharedDir ? mkdtempSync(join(sharedDir, prefix)) : makeTempDir(prefix));
const SIZES = flags.sizes!.split(',').map(Number);
const repeats = (size: number) => (size <= 1_000 ? 20 : size <= 1_000_000 ? 10 : size <= 10_000_000 ? 5 : 3);

const VALUE = 'i.to_bytes(8, "little") + b"x" * (n - 8)';
const PRODUCE_STORE = `def produce(n, i):\n    import time, funcx\n    data = ${VALUE}\n    t = time.perf_counter()\n    ref = funcx.store.put(data)\n    return {"ref": ref, "put_ms": (time.perf_counter() - t) * 1000}\n`;
const CONSUME_STORE = 'def consume(data):\n    import time\n    t = time.perf_counter()\n    n = len(data)\n    return {"n": n, "get_ms": (time.perf_counter() - t) * 1000}\n';
const PRODUCE_FILE = `def produce(n, i, folder):\n    import os, time\n    data = ${VALUE}\n    t = time.perf_counter()\n    path = os.path.join(folder, "value-%d" % i)\n    with open(path, "wb") as f:\n        f.write(data)\n    return {"ref": path, "put_ms": (time.perf_counter() - t) * 1000}\n`;
const CONSUME_FILE = 'def consume(path):\n    import os, time\n    t = time.perf_counter()\n    with open(path, "rb") as f:\n        n = len(f.read())\n    ms = (time.perf_counter() - t) * 1000\n    os.remove(path)\n    return {"n": n, "get_ms": ms}\n';
const PRODUCE_INLINE = 'def produce(n, i):\n    import time\n    t = time.perf_counter()\n    data = str(i).ljust(n, "x")\n    return {"ref": data, "put_ms": (time.perf_counter() - t) * 1000}\n';
const CONSUME_INLINE = 'def consume(data):\n    import time\n    t = time.perf_counter()\n    n = len(data)\n    return {"n": n, "get_ms": (time.perf_counter() - t) * 1000}\n';

interface Row {
  path: string;
  size: number;
  put: number;
  get: number;
  total: number;
}

async function measure(client: HubClient, path: string, endpoint: string, produce: string, consume: string, size: number, extra: JsonValue[] = []): Promise<Row> {
  const run = async (source: string, args: JsonValue[]): Promise<any> => {
    const task: TaskRecord = await client.waitForTask((await client.submit({ source, entrypoint: source.slice(4, source.indexOf('(')), endpoint, args })).task_id);
    if (task.state !== 'success') throw new Error(`${path}: ${task.error?.ename}: ${task.error?.evalue}`);
    return task.result?.value;
  };
  const puts: number[] = [];
  const gets: number[] = [];
  const totals: number[] = [];
  // One round to warm the workers and the connections, then the measured ones.
  for (let i = -1; i < repeats(size); i++) {
    const started = performance.now();
    const made = await run(produce, [size, i + 2, ...extra]);
    const used = await run(consume, [made.ref]);
    const total = performance.now() - started;
    if (used.n !== size) throw new Error(`${path}: the consumer saw ${used.n} bytes of ${size}`);
    if (i < 0) continue;
    puts.push(made.put_ms);
    gets.push(used.get_ms);
    totals.push(total);
  }
  return { path, size, put: quantile(puts, 0.5), get: quantile(gets, 0.5), total: quantile(totals, 0.5) };
}

async function backend(hub: HubProcess, client: HubClient, name: string, dataStore: Record<string, unknown>, rows: Row[], alsoByHand = false, streams?: StreamFigures[]): Promise<void> {
  log(`${name}: starting an endpoint…`);
  const endpoint = await startEndpoint(hub, { name, workers: 2, python: flags.python, config: { data_store: dataStore } });
  for (const size of SIZES) {
    log(`${name}: ${size} bytes…`);
    rows.push(await measure(client, `${name} store`, name, PRODUCE_STORE, CONSUME_STORE, size));
    if (alsoByHand) {
      rows.push(await measure(client, 'shared directory, by hand', name, PRODUCE_FILE, CONSUME_FILE, size, [sharedSubdir('funcx-bench-shared-')]));
      if (size <= 1_000_000) rows.push(await measure(client, 'inline through the hub', name, PRODUCE_INLINE, CONSUME_INLINE, size));
    }
  }
  if (streams) {
    log(`${name}: streaming against bulk…`);
    streams.push(...(await streamingVsBulk(hub, client, name, 100, 1_000_000)));
  }
  await endpoint.stop();
}

const STREAM_SOURCE = 'def pieces(count, size):\n    for i in range(count):\n        yield i.to_bytes(8, "little") + b"s" * (size - 8)\n';
const BULK_SOURCE = 'def whole(count, size):\n    return b"".join(i.to_bytes(8, "little") + b"s" * (size - 8) for i in range(count))\n';

interface StreamFigures {
  way: string;
  first: number;
  total: number;
}

/**
 * Streaming against bulk: 100 MB made as 100 pieces of 1 MB, read by the client through the hub, either as the
 * generator yields them (each piece a data reference, fetched as it arrives) or as one result fetched at the end.
 */
async function streamingVsBulk(hub: HubProcess, client: HubClient, endpoint: string, count: number, size: number): Promise<StreamFigures[]> {
  const headers = { authorization: `Bearer ${hub.token}` };
  const fetchRef = async (ref: { $ref: string; endpoint_id: string }) => {
    const [store, digest] = ref.$ref.slice('funcx-data://'.length).split('/');
    const response = await fetch(`${hub.url}/v1/endpoints/${ref.endpoint_id}/data/${store}/${digest}`, { headers });
    return (await response.arrayBuffer()).byteLength;
  };
  const figures: StreamFigures[] = [];
  for (let round = 0; round < 2; round++) {
    let started = performance.now();
    const { task_id } = await client.submit({ source: STREAM_SOURCE, entrypoint: 'pieces', endpoint, args: [count, size] });
    let first = NaN;
    let bytes = 0;
    for (let from = 0, done = false; !done; ) {
      const page = (await (await fetch(`${hub.url}/v1/tasks/${task_id}/items?from=${from}&wait_ms=10000`, { headers })).json()) as { items: { $ref: string; endpoint_id: string }[]; next: number; done: boolean };
      for (const item of page.items) {
        bytes += await fetchRef(item);
        if (Number.isNaN(first)) first = performance.now() - started;
      }
      from = page.next;
      done = page.done;
    }
    const streamed = performance.now() - started;
    if (bytes !== count * size) throw new Error(`streamed ${bytes} bytes of ${count * size}`);
    started = performance.now();
    const task = await client.waitForTask((await client.submit({ source: BULK_SOURCE, entrypoint: 'whole', endpoint, args: [count, size] })).task_id);
    if (task.state !== 'success') throw new Error(`the bulk task failed: ${task.error?.ename}: ${task.error?.evalue}`);
    const whole = await fetchRef(task.result!.value as never);
    const bulk = performance.now() - started;
    if (whole !== count * size) throw new Error(`bulk read ${whole} bytes of ${count * size}`);
    // The first round warms the path; the second is printed.
    if (round === 1) figures.push({ way: `streamed, ${count} items of ${label(size)}`, first, total: streamed }, { way: 'bulk, one result', first: bulk, total: bulk });
  }
  return figures;
}

function label(size: number): string {
  return size >= 1_000_000 ? `${size / 1_000_000} MB` : size >= 1_000 ? `${size / 1_000} KB` : `${size} B`;
}

async function main() {
  const hub = await startHub({ funcxHome: makeTempDir('funcx-bench-data-'), extraArgs: ['--rate-limit', '0'] });
  const redis = await startRedis();
  const client = new HubClient({ hubUrl: hub.url, token: hub.token, transports: ['websocket'] });
  await client.connect();
  const rows: Row[] = [];
  const streams: StreamFigures[] = [];
  await backend(hub, client, 'memory', {}, rows, true, streams);
  await backend(hub, client, 'redis', { backend: 'redis', url: `${redis.url}/0`, name: 'bench' }, rows);
  await backend(hub, client, 'files', { backend: 'files', dir: sharedSubdir('funcx-bench-files-') }, rows);
  client.close();

  console.log(`data between two functions on one endpoint (medians; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  console.log(`shared directory and files store: ${sharedDir ? `${sharedDir} (--shared-dir)` : "this machine's own disk (no --shared-dir)"}`);
  const header = ['size', 'path', 'put (ms)', 'get (ms)', 'two tasks (ms)', 'vs shared dir'];
  console.log(header.map((h, i) => (i < 2 ? h.padEnd(i === 0 ? 7 : 28) : h.padStart(15))).join(''));
  for (const size of SIZES) {
    const byHand = rows.find((row) => row.size === size && row.path === 'shared directory, by hand');
    for (const row of rows.filter((r) => r.size === size)) {
      const speedup = byHand && !row.path.startsWith('inline') ? `${((byHand.put + byHand.get) / (row.put + row.get)).toFixed(2)}x` : '-';
      console.log(
        label(size).padEnd(7) + row.path.padEnd(28) +
          [row.put, row.get, row.total].map((x) => x.toFixed(x < 10 ? 2 : 0).padStart(15)).join('') + speedup.padStart(15),
      );
    }
  }
  console.log('put/get: inside the functions (producing the value excluded); two tasks: submit to the second result, at the client.');
  console.log('vs shared dir: (put + get) of the shared directory by hand over (put + get) of the row (inline: in the two tasks only).');
  if (streams.length > 0) {
    console.log('\n100 MB at the client through the hub, memory store (one run after a warm-up)');
    console.log(`${'way'.padEnd(34)}${'first item (ms)'.padStart(16)}${'all of it (ms)'.padStart(16)}`);
    for (const row of streams) console.log(`${row.way.padEnd(34)}${row.first.toFixed(0).padStart(16)}${row.total.toFixed(0).padStart(16)}`);
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(cleanup);
