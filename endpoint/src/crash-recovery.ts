/** What a daemon's ledger said when that daemon died. */
export interface LedgerState {
  /** Tasks the daemon held that had not reached a worker. */
  queued: Set<string>;
  /** Tasks handed to workers (running, or in a worker's pipe). */
  atWorkers: Set<string>;
  /** Tasks under suspicion: how many daemons died while each was at a worker. */
  suspects: Map<string, number>;
}

/** A task that was at a worker each time its daemon died this many times is failed rather than run again. */
export const CRASHES_TO_BLAME = 2;

export interface Recovery {
  /** Tasks to fail: each killed its daemon CRASHES_TO_BLAME times. */
  culprits: string[];
  /** Tasks to retry without counting the attempt against them (hello's uncharged_task_ids). */
  uncharged: string[];
  /** Suspects and their crash counts after this crash; a suspect runs alone when it comes back. */
  suspects: Map<string, number>;
}

/**
 * After a daemon died: every task at a worker becomes a suspect (once more); one that was there at two deaths is
 * the culprit. Tasks that were only queued had no part in it. A task that was at a worker alongside others is
 * not charged either, since any of them may have done it; one that ran alone is (the hub's attempt limit is
 * then a second bound beside this one).
 */
export function recoverFromCrash(state: LedgerState): Recovery {
  const suspects = new Map(state.suspects);
  const culprits: string[] = [];
  for (const id of state.atWorkers) {
    const crashes = (suspects.get(id) ?? 0) + 1;
    if (crashes >= CRASHES_TO_BLAME) {
      culprits.push(id);
      suspects.delete(id);
    } else {
      suspects.set(id, crashes);
    }
  }
  const uncharged = [...state.queued].filter((id) => !state.atWorkers.has(id));
  if (state.atWorkers.size > 1) uncharged.push(...[...state.atWorkers].filter((id) => suspects.has(id)));
  return { culprits, uncharged, suspects };
}
