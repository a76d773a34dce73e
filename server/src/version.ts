import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The hub's version, from its package.json. */
export const HUB_VERSION: string = (require('../../package.json') as { version: string }).version;
