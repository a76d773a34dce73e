#!/usr/bin/env node
// Builds the prebuilt labextension with @jupyter/builder and the core-meta of the JupyterLab we target,
// resolved through node (the workspace hoists both to the root node_modules), so no Python is needed.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const extensionDir = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(join(extensionDir, 'package.json'));
const builderDir = dirname(require.resolve('@jupyter/builder/package.json'));
const coreMetaDir = dirname(require.resolve('@jupyterlab/core-meta/package.json'));
const args = [
  join(builderDir, 'lib', 'build-labextension.js'),
  '--core-package-file',
  join(coreMetaDir, 'core.package.json'),
  ...process.argv.slice(2),
  extensionDir
];
const result = spawnSync(process.execPath, args, { cwd: extensionDir, stdio: 'inherit' });
process.exit(result.status ?? 1);
