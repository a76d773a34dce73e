import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CREDENTIALS_FILE,
  isErrorBody,
  type Credentials,
  type EndpointCreated,
  type EndpointRegistration,
} from '@funcx/protocol';
import {
  DEFAULT_PYTHON,
  DEFAULT_WORKERS,
  MAX_WORKERS,
  parseLocation,
  readConfig,
  validateHubUrl,
  validateName,
  validateWorkers,
  writeConfig,
  type EndpointConfig,
} from '../config.js';
import { validateContainerConfig, type ContainerConfig } from '../config-containers.js';
import { runningPid } from '../daemon-process.js';
import { CliError, funcxHome } from '@funcx/node-common';
import { containerRuntimeProblem, createContainerRuntime, type ContainerRuntimeKind } from '../runtimes/index.js';
import { endpointPaths } from '../paths.js';

export interface ConfigureFlags {
  hub?: string;
  token?: string;
  workers?: string;
  location?: string;
  site?: string;
  python?: string;
  public?: boolean;
  containerRuntime?: string;
  containerImage?: string;
  maxWarmContainers?: string;
  containerIdleS?: string;
  warmMode?: string;
}

const MIN_PYTHON: [number, number] = [3, 9];

function readCredentials(env: NodeJS.ProcessEnv): Partial<Credentials> {
  const path = join(funcxHome(env), CREDENTIALS_FILE);
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Partial<Credentials>;
  } catch {
    throw new CliError(`${path} is not valid JSON: fix or delete it (the hub rewrites it when it starts)`);
  }
}

/** Throws unless `python` runs and is at least Python 3.9. */
export function checkPython(python: string): string {
  const probe = spawnSync(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? probe.error.message : probe.stderr.trim() || `exit code ${probe.status}`;
    throw new CliError(`--python ${python}: cannot run it (${why}); give the path of a Python 3.9+ interpreter`);
  }
  const version = probe.stdout.trim();
  const [major, minor] = version.split('.').map(Number);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    throw new CliError(`--python ${python} is Python ${version}; workers need Python ${MIN_PYTHON.join('.')} or newer`);
  }
  return version;
}

/** The container fields after the flags, checked as config.yaml is (a bad one names its flag). */
function containerFields(flags: ConfigureFlags, previous: Partial<EndpointConfig>): ContainerConfig {
  const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));
  const given: [keyof ContainerConfig, string, unknown][] = [
    ['container_runtime', '--container-runtime', flags.containerRuntime],
    ['container_image', '--container-image', flags.containerImage],
    ['max_warm_containers', '--max-warm-containers', number(flags.maxWarmContainers)],
    ['container_idle_s', '--container-idle-s', number(flags.containerIdleS)],
    ['warm_mode', '--warm-mode', flags.warmMode],
  ];
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(previous)) if (key.startsWith('container_') || key === 'max_warm_containers' || key === 'warm_mode') fields[key] = previous[key as keyof EndpointConfig];
  for (const [key, , value] of given) if (value !== undefined) fields[key] = value;
  try {
    return validateContainerConfig(fields, MAX_WORKERS);
  } catch (error) {
    const message = (error as Error).message;
    const flag = given.find(([key, , value]) => value !== undefined && message.startsWith(key))?.[1];
    throw new CliError(flag ? `${flag}: ${message}` : message);
  }
}

/** A line saying the runtime cannot run here, if so: configure still writes the config. */
function containerNote(config: ContainerConfig, env: NodeJS.ProcessEnv): string | undefined {
  const kind = config.container_runtime;
  if (!kind || kind === 'none' || kind === 'custom') return undefined;
  const runtime = createContainerRuntime({ kind: kind as ContainerRuntimeKind, network: 'host', options: [], imageDir: config.container_image_dir });
  const problem = containerRuntimeProblem(runtime, env.PATH);
  return problem ? `note: container_runtime ${kind}: ${problem}` : undefined;
}

async function register(hubUrl: string, token: string, registration: EndpointRegistration): Promise<EndpointCreated> {
  let response: Response;
  try {
    response = await fetch(`${hubUrl}/v1/endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(registration),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new CliError(
      `could not reach the hub at ${hubUrl} (${cause}): check that the hub runs (funcx-hub) and the URL (--hub or FUNCX_HUB_URL)`,
    );
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const message = isErrorBody(body) ? body.message : `HTTP ${response.status}`;
    const hint =
      response.status === 401 || response.status === 403
        ? ' (check the token: --token, FUNCX_TOKEN or credentials.json)'
        : '';
    throw new CliError(`the hub at ${hubUrl} refused to register endpoint "${registration.name}": ${message}${hint}`);
  }
  const created = body as Partial<EndpointCreated> | undefined;
  if (!created?.endpoint_id || !created.endpoint_token) {
    throw new CliError(`the hub at ${hubUrl} answered without an endpoint id and token; is that URL a funcX hub?`);
  }
  return created as EndpointCreated;
}

/** `funcx-endpoint configure NAME`: registers (or re-registers) the endpoint and writes its config.yaml. */
export async function configure(name: string, flags: ConfigureFlags, env = process.env): Promise<string> {
  validateName(name);
  const previous: Partial<EndpointConfig> = existsSync(endpointPaths(name, env).config) ? readConfig(name, env) : {};
  const credentials = readCredentials(env);
  const hubText = flags.hub ?? env.FUNCX_HUB_URL ?? credentials.hub_url ?? previous.hub_url;
  if (!hubText) {
    throw new CliError(
      `no hub URL: pass --hub URL, set FUNCX_HUB_URL, or start a hub once so it writes ${join(funcxHome(env), CREDENTIALS_FILE)}`,
    );
  }
  const hubUrl = validateHubUrl(hubText, flags.hub ? '--hub' : 'the hub URL');
  const token = flags.token ?? env.FUNCX_TOKEN ?? credentials.token;
  if (!token) {
    throw new CliError(
      `no user token: pass --token, set FUNCX_TOKEN, or use the credentials.json the hub writes in ${funcxHome(env)}`,
    );
  }
  const workers = flags.workers === undefined ? (previous.workers ?? DEFAULT_WORKERS) : Number(flags.workers);
  validateWorkers(workers, '--workers');
  const location = flags.location !== undefined ? parseLocation(flags.location) : previous.location;
  const site = flags.site ?? previous.site;
  const python = flags.python ?? previous.python ?? DEFAULT_PYTHON;
  checkPython(python);
  const containers = containerFields(flags, previous);

  const registration: EndpointRegistration = { name };
  if (location) registration.location = location;
  if (site !== undefined) registration.site = site;
  if (flags.public !== undefined) registration.public = flags.public;
  const created = await register(hubUrl, token, registration);

  // Fields configure has no flag for (sandbox, limits, worker_env, ...) stay as they were written.
  const config: EndpointConfig = {
    ...previous,
    name,
    endpoint_id: created.endpoint_id,
    hub_url: hubUrl,
    endpoint_token: created.endpoint_token,
    workers,
    python,
    provider: previous.provider ?? 'local',
  };
  if (location) config.location = location;
  if (site !== undefined) config.site = site;
  if (flags.public !== undefined) config.public = flags.public;
  Object.assign(config, containers);
  const path = writeConfig(config, env);
  const lines = [`endpoint ${name} configured (id ${created.endpoint_id}) in ${path}`];
  const note = containerNote(containers, env);
  if (note) lines.push(note);
  if (runningPid(name, env) !== undefined) {
    lines.push(`it is running with its old token: restart it (funcx-endpoint stop ${name} && funcx-endpoint start ${name})`);
  } else {
    lines.push(`start it with: funcx-endpoint start ${name}`);
  }
  return lines.join('\n');
}
