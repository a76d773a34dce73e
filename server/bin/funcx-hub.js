#!/usr/bin/env node
// Present before the TypeScript is compiled, so that `npm ci` links funcx-hub into node_modules/.bin.
await import('../dist/src/main.js').catch((error) => {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('/dist/src/main.js')) throw error;
  process.stderr.write('funcx-hub: this checkout is not built yet: run ./scripts/setup.sh (or npm run build) first\n');
  process.exit(1);
});
