/** What a worker's environment is built from besides its scratch directory. */
export interface WorkerEnvSettings {
  /** Variables set for every worker (config `worker_env`). */
  set?: { [name: string]: string };
  /** Names of the daemon's own variables handed on when set (config `env_passthrough`). */
  passthrough?: string[];
}

/** Variables a worker gets from the daemon's environment when they are set there. */
const INHERITED = ['PATH', 'LANG', 'LC_ALL', 'TZ'];
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

function baseEnv(scratch: string): NodeJS.ProcessEnv {
  return { HOME: scratch, TMPDIR: scratch, PYTHONUNBUFFERED: '1', MPLBACKEND: 'module://funcx_mpl_backend' };
}

function finish(env: NodeJS.ProcessEnv, inherited: string[], settings: WorkerEnvSettings, daemonEnv: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  for (const name of inherited) if (daemonEnv[name] !== undefined) env[name] = daemonEnv[name];
  for (const name of settings.passthrough ?? []) if (daemonEnv[name] !== undefined) env[name] = daemonEnv[name];
  return Object.assign(env, settings.set);
}

/**
 * The environment a worker starts with: nothing of the daemon's but what a program needs to run (so no token,
 * no FUNCX_HOME, no credentials another tool left in the environment), plus what the config asks for.
 * HOME and TMPDIR are the worker's own scratch directory unless the config says otherwise.
 */
export function workerEnv(scratch: string, settings: WorkerEnvSettings = {}, daemonEnv: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return finish({ PATH: DEFAULT_PATH, ...baseEnv(scratch) }, INHERITED, settings, daemonEnv);
}

/**
 * The environment of a worker in a container: the same, but no PATH unless worker_env sets one, so the
 * image's own PATH applies (the host's would name directories the image does not have).
 */
export function containerWorkerEnv(
  scratch: string,
  settings: WorkerEnvSettings = {},
  daemonEnv: NodeJS.ProcessEnv = process.env,
): { [name: string]: string } {
  const inherited = INHERITED.filter((name) => name !== 'PATH');
  return finish(baseEnv(scratch), inherited, settings, daemonEnv) as { [name: string]: string };
}
