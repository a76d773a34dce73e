import { makeTempDir } from './tempdir.js';
import { freePort } from './ports.js';
import { spawnProcess, type ManagedProcess } from './processes.js';

export interface RedisProcess {
  url: string;
  port: number;
  dir: string;
  process: ManagedProcess;
  stop(): Promise<void>;
  /** SIGKILL, as in a crash; the append-only file keeps what was acknowledged. */
  kill9(): Promise<void>;
  /** Starts again after stop/kill9 on the same port and directory. */
  start(): Promise<void>;
}

/** A private redis-server in the foreground (the test owns its pid), append-only, on a free port. */
export async function startRedis(options: { dir?: string; port?: number; timeoutMs?: number } = {}): Promise<RedisProcess> {
  const dir = options.dir ?? makeTempDir('funcx-redis-');
  const port = options.port ?? (await freePort());
  const launch = async () => {
    const child = spawnProcess(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir],
      { name: 'redis-server' },
    );
    await child.waitForOutput(/Ready to accept connections/, { timeoutMs: options.timeoutMs ?? 10_000 });
    return child;
  };
  const redis: RedisProcess = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    process: await launch(),
    async stop() {
      await redis.process.stop();
    },
    async kill9() {
      await redis.process.kill9();
    },
    async start() {
      redis.process = await launch();
    },
  };
  return redis;
}
