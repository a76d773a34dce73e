#!/usr/bin/env node
/**
 * The manager program: a provider starts one per node of a block (`node manager-main.js`, told where its daemon
 * is by FUNCX_MANAGER_DAEMON, FUNCX_MANAGER_SECRET and FUNCX_BLOCK_ID).
 */
import { launchFromEnv, runManager } from './manager-node.js';

let code: number;
try {
  code = await runManager(launchFromEnv(process.env));
} catch (error) {
  process.stderr.write(`funcx manager: ${(error as Error).message}\n`);
  code = 1;
}
// Whatever is left (a timer, a worker's pipe) does not keep a manager whose work is over.
process.exit(code);
