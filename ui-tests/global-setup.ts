import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FullConfig } from '@playwright/test';
import { cleanup, makeTempDir, projectPython, startEndpoint, startHub, type ManagedProcess } from '@funcx/testing';
import { startJupyterLab } from './helpers/jupyterlab.js';
import { publishStack } from './helpers/stack-env.js';

/**
 * Starts a real hub, real endpoints `local` and `cloud` (Python workers from .venv, so matplotlib works) and a
 * real JupyterLab with the extension, all on free ports in a temp dir. Returns the teardown, which stops every
 * process by pid and keeps their logs in test-results/stack-logs/.
 */
export default async function globalSetup(config: FullConfig): Promise<() => Promise<void>> {
  const dir = makeTempDir('funcx-ui-tests-');
  const processes: ManagedProcess[] = [];
  const teardown = async () => {
    const logDir = join(config.projects[0].outputDir, 'stack-logs');
    mkdirSync(logDir, { recursive: true });
    await cleanup().finally(() => {
      for (const child of processes) {
        writeFileSync(join(logDir, `${child.name.replace(/[^\w.-]+/g, '-')}.log`), child.output);
      }
    });
  };
  try {
    const funcxHome = join(dir, 'funcx-home');
    mkdirSync(funcxHome);
    const hub = await startHub({ funcxHome });
    processes.push(hub.process);
    const python = projectPython();
    const local = await startEndpoint(hub, {
      name: 'local',
      workers: 2,
      python,
      location: { lat: 41.71, lon: -87.98 },
      site: 'Argonne (laptop)',
    });
    const cloud = await startEndpoint(hub, {
      name: 'cloud',
      workers: 1,
      python,
      location: { lat: 37.87, lon: -122.27 },
      site: 'Berkeley (cloud VM)',
    });
    for (const endpoint of [local, cloud]) if (endpoint.process) processes.push(endpoint.process);
    const lab = await startJupyterLab({
      dir: join(dir, 'jupyter'),
      hubUrl: hub.url,
      token: hub.token,
    });
    processes.push(lab.process);
    publishStack({ labUrl: lab.url, hubUrl: hub.url, token: hub.token, funcxHome, notebookDir: lab.notebookDir });
    return teardown;
  } catch (error) {
    await teardown();
    throw error;
  }
}
