import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, it, mock } from 'node:test';
import { cleanup, makeTempDir, startRedis, type RedisProcess } from '@funcx/testing';
import { validateDataConfig } from '../src/config-data.js';
import type { DataBackend } from '../src/data/data-backend.js';
import { DataServer } from '../src/data/data-server.js';
import { DataService } from '../src/data/data-service.js';
import { dataSecret, dataToken, tokenUser } from '../src/data/data-token.js';
import { FilesBackend } from '../src/data/files-backend.js';
import { MemoryBackend } from '../src/data/memory-backend.js';
import { RedisBackend } from '../src/data/redis-backend.js';
import { TaskStreams } from '../src/data/task-streams.js';

const WORKER_DIR = fileURLToPath(new URL('../../worker', import.meta.url));
const ENDPOINT_ID = '6f1c1d52-6a62-4b1e-9d38-0c1e6f4b2a10';

/**
 * Runs Python with funcx_store (the worker's client, unchanged) against a data server: the script's last
 * expression, printed as JSON. `client` is a DataClient for the token given.
 */
function python(address: string, token: string, body: string): Promise<any> {
  const script = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(WORKER_DIR)})`,
    'import funcx_store',
    'funcx_store.activate(sys.argv[1], sys.argv[2])',
    'client = funcx_store.ACTIVE',
    'def attempt(f):',
    '    try:',
    '        return f()',
    '    except funcx_store.DataStoreError as e:',
    '        return {"code": e.code, "message": str(e)}',
    body,
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', script, address, token], { timeout: 20_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!));
    });
  });
}

interface Running {
  backend: DataBackend;
  service: DataService;
  server: DataServer;
  address: string;
  secret: Buffer;
  token(user: string): string;
}

async function serve(backend: DataBackend, limits = { ttlMs: 60_000, userBytes: 10 * 1024 * 1024 }, secret = dataSecret()): Promise<Running> {
  const service = new DataService(backend, ENDPOINT_ID, limits);
  const server = new DataServer(service, new TaskStreams(), secret, () => undefined);
  const address = await server.listen('127.0.0.1', 0);
  return { backend, service, server, address, secret, token: (user) => dataToken(secret, user) };
}

/** What every backend does for the worker's client: write once, read back, per user. */
function backendContract(name: string, open: () => Promise<DataBackend>): void {
  describe(`the ${name} backend`, () => {
    const running: Running[] = [];
    after(async () => {
      for (const r of running) {
        await r.server.close();
        await r.service.close();
      }
    });

    it('keeps a value written once by digest for its user, and reads another user nothing', async () => {
      const r = await serve(await open());
      running.push(r);
      const put = await python(r.address, r.token('alice'), [
        'a = funcx_store.put({"xs": list(range(1000))})',
        'b = funcx_store.put(b"\\x00\\xff" * 70000)',
        'again = funcx_store.put(b"\\x00\\xff" * 70000)',
        'print(json.dumps([a, b, again["$ref"] == b["$ref"], funcx_store.get(a)["xs"][-1], len(funcx_store.get(b))]))',
      ].join('\n'));
      const [a, b, same, last, length] = put;
      assert.equal(a.kind, 'pickle');
      assert.equal(b.kind, 'bytes');
      assert.equal(b.size, 140_000);
      assert.deepEqual([same, last, length], [true, 999, 140_000]);
      const bobs = await python(r.address, r.token('bob'), `print(json.dumps(attempt(lambda: funcx_store.get(${JSON.stringify(b)}))))`);
      assert.equal(bobs.code, 'not_found');
      assert.match(bobs.message, /not yours \(references are per user\)/);
      const read = await r.service.read('alice', b.$ref, 139_990);
      assert.equal(read.bytes.length, 10, 'a read from an offset, as the hub does it in parts');
      assert.equal(read.total, 140_000);
    });
  });
}

backendContract('memory', async () => new MemoryBackend(`endpoint.${ENDPOINT_ID}`));
backendContract('files', async () => new FilesBackend(`endpoint.${ENDPOINT_ID}`, makeTempDir('funcx-data-files-')));

describe('the Redis backend', () => {
  let redis: RedisProcess;
  const backends: RedisBackend[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const backend of backends) await backend.close().catch(() => undefined);
    await cleanup();
  });
  const open = async () => {
    const backend = await RedisBackend.open(`${redis.url}/2`, 'shared', () => undefined);
    backends.push(backend);
    return backend;
  };

  it('is shared by two endpoints with the same store: one writes, the other reads, per user', async () => {
    const writer = await serve(await open());
    const reader = await serve(await open());
    try {
      const ref = await python(writer.address, writer.token('alice'), 'print(json.dumps(funcx_store.put(b"shared" * 1000)))');
      assert.match(ref.$ref, /^funcx-data:\/\/redis\.shared\//);
      assert.equal(await python(reader.address, reader.token('alice'), `print(json.dumps(len(funcx_store.get(${JSON.stringify(ref)}))))`), 6000);
      const bobs = await python(reader.address, reader.token('bob'), `print(json.dumps(attempt(lambda: funcx_store.get(${JSON.stringify(ref)}))))`);
      assert.equal(bobs.code, 'not_found');
    } finally {
      for (const r of [writer, reader]) await r.server.close();
    }
  });
});

describe('the data server', () => {
  const running: Running[] = [];
  afterEach(async () => {
    mock.timers.reset();
    for (const r of running.splice(0)) await r.server.close();
  });
  const start = async (limits?: { ttlMs: number; userBytes: number }) => {
    const r = await serve(new MemoryBackend(`endpoint.${ENDPOINT_ID}`), limits);
    running.push(r);
    return r;
  };

  it('serves a value until its time to live ends, then says so', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const r = await start({ ttlMs: 60_000, userBytes: 1 << 20 });
    const ref = await python(r.address, r.token('alice'), 'print(json.dumps(funcx_store.put(b"soon gone")))');
    mock.timers.tick(59_999);
    assert.equal(await python(r.address, r.token('alice'), `print(json.dumps(funcx_store.get(${JSON.stringify(ref)}).decode()))`), 'soon gone');
    mock.timers.tick(1);
    const late = await python(r.address, r.token('alice'), `print(json.dumps(attempt(lambda: funcx_store.get(${JSON.stringify(ref)}))))`);
    assert.equal(late.code, 'not_found');
    assert.match(late.message, /it expired \(data_store\.ttl_s\)/);
    assert.equal(await r.service.usage('alice'), 0, 'an expired value no longer counts');
    const other = await python(r.address, r.token('bob'), 'print(json.dumps(funcx_store.put(b"bob\'s")))');
    assert.ok(await r.backend.meta('bob', (other.digest as string).slice(7)));
    mock.timers.tick(60_000);
    await r.service.sweepAll();
    const digest = (other.digest as string).slice('sha256:'.length);
    assert.equal(await r.backend.meta('bob', digest), undefined, 'the sweep drops what nobody asked for again');
  });

  it("refuses a put past the user's limit, saying how much is kept, and keeps what was there", async () => {
    const r = await start({ ttlMs: 60_000, userBytes: 100_000 });
    const outcome = await python(r.address, r.token('alice'), [
      'first = funcx_store.put(b"a" * 60000)',
      'second = attempt(lambda: funcx_store.put(b"b" * 60000))',
      'print(json.dumps([second, len(funcx_store.get(first)), funcx_store.put(b"c" * 30000)["size"]]))',
    ].join('\n'));
    const [refused, kept, small] = outcome;
    assert.equal(refused.code, 'too_large');
    assert.match(refused.message, /at most 97\.7 KiB per user \(data_store\.user_bytes\) and holds 58\.6 KiB of yours: a value of 58\.6 KiB does not fit/);
    assert.deepEqual([kept, small], [60_000, 30_000]);
    const bobs = await python(r.address, r.token('bob'), 'print(json.dumps(funcx_store.put(b"b" * 60000)["size"]))');
    assert.equal(bobs, 60_000, "one user's values do not count against another's");
  });

  it('takes a large value with its digest after its bytes, keeps it once, and refuses one past the limit unread', async () => {
    const r = await start({ ttlMs: 60_000, userBytes: 5 * 1024 * 1024 });
    const outcome = await python(r.address, r.token('alice'), [
      'value = bytes(range(256)) * 8192',
      'first = funcx_store.put(value)',
      'again = funcx_store.put(value)',
      'refused = attempt(lambda: funcx_store.put(b"x" * (4 * 1024 * 1024)))',
      'print(json.dumps([first, again, funcx_store.get(first) == value, refused, funcx_store.put(b"y" * 2000)["size"]]))',
    ].join('\n'));
    const [first, again, same, refused, after] = outcome;
    assert.equal(first.size, 2 * 1024 * 1024);
    const value = Buffer.concat(Array.from({ length: 8192 }, () => Buffer.from(Array.from({ length: 256 }, (_, i) => i))));
    assert.equal(first.digest, `sha256:${createHash('sha256').update(value).digest('hex')}`, 'stored under the digest sent after the bytes');
    assert.deepEqual(again, first, 'the same bytes are the same reference');
    assert.equal(same, true);
    assert.equal(await r.service.usage('alice'), 2 * 1024 * 1024 + 2000, 'the large value is kept once');
    assert.equal(refused.code, 'too_large');
    assert.match(refused.message, /a value of 4 MiB does not fit/);
    assert.equal(after, 2000, 'the connection serves on after the refusal');
    const bytes = Buffer.alloc(2 * 1024 * 1024, 7);
    const digest = createHash('sha256').update(bytes).digest('hex');
    const line = JSON.stringify({ op: 'put', token: r.token('alice'), kind: 'bytes', size: bytes.length, digest_follows: true });
    const badTrailer = await rawBytes(r.address, Buffer.concat([Buffer.from(line + '\n'), bytes, Buffer.from(digest.slice(0, 63) + 'xx')]));
    assert.equal(badTrailer.code, 'bad_request');
    assert.match(badTrailer.message, /their sha256 \(64 hex digits\) and a newline/);
  });

  it('refuses a made-up token, a malformed request and a reference to another store, each saying why', async () => {
    const r = await start();
    const forged = `${Buffer.from('alice').toString('base64url')}.${'A'.repeat(43)}`;
    assert.equal(tokenUser(r.secret, forged), undefined);
    assert.equal(tokenUser(r.secret, r.token('alice')), 'alice');
    const refused = await python(r.address, forged, 'print(json.dumps(attempt(lambda: funcx_store.put(b"x"))))');
    assert.equal(refused.code, 'unauthorized');
    const elsewhere = await python(r.address, r.token('alice'), `print(json.dumps(attempt(lambda: funcx_store.get({"$ref": "funcx-data://redis.other/${'0'.repeat(64)}", "size": 1}))))`);
    assert.equal(elsewhere.code, 'wrong_store');
    assert.match(elsewhere.message, /run the task on the endpoint that wrote it/);
    // Each on a connection of its own: a line that is not JSON ends its connection (what follows cannot be read).
    const lines = await Promise.all(
      ['not json', JSON.stringify({ op: 'put', token: r.token('alice'), kind: 'json', size: 1, digest: 'x' }), JSON.stringify({ op: 'rm', token: r.token('alice') })].map(
        async (line) => (await rawRequest(r.address, [line]))[0],
      ),
    );
    assert.deepEqual(lines.map((line) => line.code), ['bad_request', 'bad_request', 'bad_request']);
    assert.match(lines[1].message, /kind must be "bytes" or "pickle"/);
    assert.match(lines[2].message, /op must be put, get, stat, append or take/);
  });

  it('a small put sent with its bytes is answered once; a large one must wait for the reply', async () => {
    const r = await start();
    const bytes = Buffer.from('abc');
    const digest = createHash('sha256').update(bytes).digest('hex');
    const put = JSON.stringify({ op: 'put', token: r.token('alice'), kind: 'bytes', size: 3, digest, with_bytes: true });
    const [stored] = await rawRequest(r.address, [`${put}\nabc`], 1);
    assert.equal(stored.ok, true);
    assert.equal(stored.ref.size, 3);
    assert.equal((await r.service.read('alice', stored.ref.$ref)).bytes.toString(), 'abc');
    const large = JSON.stringify({ op: 'put', token: r.token('alice'), kind: 'bytes', size: 2 * 1024 * 1024, digest, with_bytes: true });
    const [refused] = await rawRequest(r.address, [large], 1);
    assert.equal(refused.code, 'bad_request');
    assert.match(refused.message, /a put with its bytes is at most 1048576 bytes/);
  });
});

describe('task streams', () => {
  afterEach(() => mock.timers.reset());

  it('hold a producer back while its stream is full, let it on once read, and stop it when nobody reads', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    const streams = new TaskStreams(2, 60_000);
    await streams.append('alice', 't1', 1, false);
    await streams.append('alice', 't1', 2, false);
    let third = false;
    const waiting = streams.append('alice', 't1', 3, false).then(() => (third = true));
    await Promise.resolve();
    assert.equal(third, false, 'full: the producer waits');
    assert.deepEqual(await streams.read('alice', 't1', 0, 0), { from: 0, items: [1, 2], next: 2, done: false });
    assert.equal(third, false, 'reading from 0 keeps the items');
    assert.deepEqual((await streams.read('alice', 't1', 2, 0)).items, []);
    await waiting;
    assert.equal(third, true, 'a read from 2 makes room');
    assert.deepEqual(await streams.read('bob', 't1', 0, 0), { from: 0, items: [], next: 0, done: false }, "another user's stream is empty");
    await streams.append('alice', 't1', 4, false);
    const stuck = streams.append('alice', 't1', 5, false);
    mock.timers.tick(60_000);
    await assert.rejects(stuck, /nobody has read this task's stream for 60 s: the generator is stopped/);
  });
});

describe('data_store in config.yaml', () => {
  it('names the setting and what to write', () => {
    assert.deepEqual(validateDataConfig({}), {});
    assert.deepEqual(validateDataConfig({ data_store: false }), { data_store: false });
    assert.throws(() => validateDataConfig({ data_store: { backend: 'redis' } }), /needs data_store\.url/);
    assert.throws(() => validateDataConfig({ data_store: { backend: 's3' } }), /backend must be one of memory, redis, files/);
    assert.throws(() => validateDataConfig({ data_store: { backend: 'files', dir: 'rel' } }), /dir must be an absolute path/);
    assert.throws(() => validateDataConfig({ data_store: { ttl: 5 } }), /data_store\.ttl is not a setting/);
    assert.throws(() => validateDataConfig({ data_store: { result_threshold_bytes: 11 * 1024 * 1024 } }), /from 0 to 10485760/);
  });
});

/** Lines written raw to the data server, and the JSON replies to them (`count`: how many to wait for). */
/** Sends these bytes on a connection of its own and resolves with the first reply line. */
function rawBytes(address: string, bytes: Buffer): Promise<any> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port: Number(port) }, () => socket.write(bytes));
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no reply: ${text}`)), 5_000);
    socket.on('data', (chunk) => {
      text += chunk.toString();
      const newline = text.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(JSON.parse(text.slice(0, newline)));
    });
    socket.on('error', reject);
  });
}

function rawRequest(address: string, lines: string[], count = lines.length): Promise<any[]> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port: Number(port) }, () => socket.write(lines.join('\n') + '\n'));
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no ${count} replies: ${text}`)), 5_000);
    socket.on('data', (chunk) => {
      text += chunk.toString();
      const replies = text.split('\n').filter(Boolean);
      if (replies.length >= count) {
        clearTimeout(timer);
        socket.destroy();
        resolve(replies.slice(0, count).map((line) => JSON.parse(line)));
      }
    });
    socket.on('error', reject);
  });
}
