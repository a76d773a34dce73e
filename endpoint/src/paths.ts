import { join } from 'node:path';
import { funcxHome } from '@funcx/node-common';

export function endpointsDir(env?: NodeJS.ProcessEnv): string {
  return join(funcxHome(env), 'endpoints');
}

/**
 * The files of one endpoint: `$FUNCX_HOME/endpoints/NAME/{config.yaml,daemon.pid,supervisor.pid,daemon.log,
 * results.jsonl,ledger,containers.json,sessions.json}`, and `podman/` when the endpoint runs podman.
 */
export function endpointPaths(name: string, env?: NodeJS.ProcessEnv) {
  const dir = join(endpointsDir(env), name);
  return {
    dir,
    config: join(dir, 'config.yaml'),
    pid: join(dir, 'daemon.pid'),
    /** The supervisor that `start` runs: it restarts the daemon after an unexpected death. */
    supervisorPid: join(dir, 'supervisor.pid'),
    log: join(dir, 'daemon.log'),
    /** Completions the hub has not acknowledged yet (see results-file.ts). */
    results: join(dir, 'results.jsonl'),
    /** Which tasks the daemon holds and which are at workers, to tell a crash apart from a task (ledger.ts). */
    ledger: join(dir, 'ledger'),
    /** What a running daemon's containers are and why any could not start (daemon-containers.ts). */
    containers: join(dir, 'containers.json'),
    /** The running daemon's blocks, as its last heartbeat reported them (blocks.ts). */
    blocks: join(dir, 'blocks.json'),
    /** The sessions the daemon holds, so the next daemon tells their next tasks they start afresh (daemon-sessions.ts). */
    sessions: join(dir, 'sessions.json'),
    /** Batch scripts and the output of the blocks the provider submits. */
    blocksDir: join(dir, 'blocks'),
  };
}
