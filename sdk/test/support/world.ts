import { join } from 'node:path';
import {
  cleanup,
  configureEndpoint,
  makeTempDir,
  projectPython,
  runProcess,
  startEndpoint,
  startHub,
  type EndpointProcess,
  type HubProcess,
} from '@funcx/testing';

/** The processes the SDK's tests run against, and the environment that tells the Python tests about them. */
export interface SdkWorld {
  hub: HubProcess;
  local: EndpointProcess;
  env: NodeJS.ProcessEnv;
}

/**
 * A hub with the endpoints the Python tests use: `local` (the project's Python: matplotlib, cloudpickle, dill),
 * `plain` (a bare venv: neither cloudpickle nor dill), `offline` and `restricted` (configured, never started),
 * a second user `bob`; with `limited`, also a hub that accepts one submission a second.
 */
export async function startSdkWorld(options: { plain?: boolean; limited?: boolean } = {}): Promise<SdkWorld> {
  const home = makeTempDir('funcx-sdk-');
  const hub = await startHub({ funcxHome: home });
  const plainPython = options.plain ? await bareVenv(join(home, 'plain-venv')) : undefined;
  const [local] = await Promise.all([
    // Two sessions at once (the default leaves one worker free of sessions): a notebook test uses two.
    startEndpoint(hub, { name: 'local', workers: 2, python: projectPython(), config: { max_sessions: 2 } }),
    plainPython ? startEndpoint(hub, { name: 'plain', workers: 1, python: plainPython }) : undefined,
    configureEndpoint(hub, { name: 'offline' }),
    configureEndpoint(hub, { name: 'restricted' }),
  ]);
  const env: NodeJS.ProcessEnv = {
    ...hub.env(),
    FUNCX_TEST_ENDPOINT: 'local',
    FUNCX_TEST_OFFLINE_ENDPOINT: 'offline',
    FUNCX_TEST_RESTRICTED_ENDPOINT: 'restricted',
    FUNCX_TEST_OTHER_TOKEN: await hub.addUser('bob'),
  };
  if (plainPython) env.FUNCX_TEST_PLAIN_ENDPOINT = 'plain';
  if (options.limited) {
    const limited = await startHub({ funcxHome: makeTempDir('funcx-sdk-limited-'), extraArgs: ['--rate-limit', '1'] });
    await configureEndpoint(limited, { name: 'queue' });
    Object.assign(env, {
      FUNCX_TEST_LIMITED_HUB_URL: limited.url,
      FUNCX_TEST_LIMITED_TOKEN: limited.token,
      FUNCX_TEST_LIMITED_ENDPOINT: 'queue',
    });
  }
  return { hub, local, env };
}

export async function stopSdkWorld(): Promise<void> {
  await cleanup();
}

/** A venv of the system's python3 with nothing installed: an endpoint Python without cloudpickle or dill. */
async function bareVenv(dir: string): Promise<string> {
  await runProcess('python3', ['-m', 'venv', '--without-pip', dir], { name: 'python3 -m venv', timeoutMs: 60_000 });
  return join(dir, 'bin', 'python');
}
