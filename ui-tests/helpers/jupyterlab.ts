import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, repoRoot, spawnProcess, waitFor, type ManagedProcess } from '@funcx/testing';

export interface LabOptions {
  /** Temp dir that holds JupyterLab's config, settings, workspaces and the notebook root. */
  dir: string;
  hubUrl: string;
  token: string;
  /** Notebooks copied into the root dir. */
  notebooksFrom?: string;
}

export interface LabProcess {
  url: string;
  notebookDir: string;
  process: ManagedProcess;
}

/**
 * Starts JupyterLab from the project's .venv with every setting in `dir`: the developer's .venv and
 * ~/.jupyter are neither read nor changed. The extension's settings go to a temp overrides.json.
 */
export async function startJupyterLab(options: LabOptions): Promise<LabProcess> {
  const dirs = Object.fromEntries(
    ['config', 'data', 'runtime', 'user-settings', 'workspaces', 'app-settings', 'notebooks'].map((name) => {
      const path = join(options.dir, name);
      mkdirSync(path, { recursive: true });
      return [name, path];
    }),
  );
  writeFileSync(
    join(dirs['app-settings'], 'overrides.json'),
    JSON.stringify(
      {
        '@jupyterlab/apputils-extension:notification': { fetchNews: 'false', checkForUpdates: false },
        '@funcx/jupyterlab:plugin': { hubUrl: options.hubUrl, token: options.token },
      },
      null,
      2,
    ),
  );
  if (options.notebooksFrom) cpSync(options.notebooksFrom, dirs.notebooks, { recursive: true });
  // A copy of the installed extension, taken now: a rebuild into .venv during the run cannot reach this server
  // (JUPYTER_DATA_DIR comes before the venv in JupyterLab's search path).
  const installed = join(repoRoot, '.venv', 'share', 'jupyter', 'labextensions', '@funcx', 'jupyterlab');
  if (!existsSync(join(installed, 'package.json'))) {
    throw new Error(`the extension is not installed in .venv (${installed}): run scripts/setup.sh first`);
  }
  cpSync(installed, join(dirs.data, 'labextensions', '@funcx', 'jupyterlab'), { recursive: true });

  const port = await freePort();
  const jupyter = join(repoRoot, '.venv', 'bin', 'jupyter');
  const lab = spawnProcess(
    jupyter,
    [
      'lab',
      '--no-browser',
      '--allow-root',
      '--ip=127.0.0.1',
      `--port=${port}`,
      '--ServerApp.port_retries=0',
      '--ServerApp.token=',
      '--ServerApp.password=',
      `--ServerApp.root_dir=${dirs.notebooks}`,
      `--LabApp.app_settings_dir=${dirs['app-settings']}`,
      // window.jupyterapp, for reading cell metadata in the specs.
      '--LabApp.expose_app_in_browser=True',
    ],
    {
      name: 'jupyter lab',
      env: {
        ...process.env,
        JUPYTER_CONFIG_DIR: dirs.config,
        JUPYTER_DATA_DIR: dirs.data,
        JUPYTER_RUNTIME_DIR: dirs.runtime,
        JUPYTERLAB_SETTINGS_DIR: dirs['user-settings'],
        JUPYTERLAB_WORKSPACES_DIR: dirs.workspaces,
        PATH: `${join(repoRoot, '.venv', 'bin')}:${process.env.PATH}`,
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (lab.exitStatus) throw new Error(`JupyterLab exited:\n${lab.tail()}`);
      return (await fetch(`${url}/api/status`)).ok;
    },
    { timeoutMs: 60_000, intervalMs: 250, what: 'JupyterLab to answer /api/status' },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${lab.tail()}`);
  });
  return { url, notebookDir: dirs.notebooks, process: lab };
}
