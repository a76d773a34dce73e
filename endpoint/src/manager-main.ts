#!/usr/bin/env node
/**
 * The manager program: a provider starts one per node of a block (`node manager-main.js`, told where its daemon
 * is by FUNCX_MANAGER_DAEMON, FUNCX_MANAGER_SECRET and FUNCX_BLOCK_ID).
 */
import { launchFromEnv, runManager } from './manager-node.js';

try {
  process.exitCode = await runManager(launchFromEnv(process.env));
} catch (error) {
  process.stderr.write(`funcx manager: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
