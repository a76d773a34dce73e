import type { Strategy } from './config-blocks.js';

/** A block as the strategy sees it. */
export interface BlockView {
  id: string;
  state: 'pending' | 'running' | 'draining';
  /** Workers its connected managers run (0 while pending). */
  workers: number;
  /** Tasks its managers hold. */
  held: number;
  /** Since when it has held nothing (ms, same clock as `now`), if it holds nothing. */
  idleSince?: number;
  /** When its walltime ends, if it has one. */
  endsAt?: number;
}

export interface StrategyInput {
  strategy: Strategy;
  now: number;
  /** Tasks the daemon holds: queued, or at managers. */
  demand: number;
  /** Workers a block is expected to bring before its managers say (nodes x workers per node). */
  workersPerBlock: number;
  blocks: BlockView[];
  /** How long before its walltime a block stops taking tasks. */
  drainPeriodMs: number;
}

export interface StrategyPlan {
  /** How many blocks to submit. */
  submit: number;
  /** Blocks to take no more tasks (their managers exit once they hold nothing). */
  drain: string[];
  /** Blocks to cancel now (idle, or drained to nothing). */
  cancel: string[];
}

/**
 * Parsl's simple strategy: keep min_blocks; scale out while the tasks held exceed what active blocks (pending
 * ones by the workers they are expected to bring) can run, up to max_blocks; scale in a block that held nothing
 * for max_idletime while more than min_blocks are active; drain a block whose walltime is about to end, so no
 * task is cut off; cancel drained blocks once they hold nothing.
 */
export function planBlocks(input: StrategyInput): StrategyPlan {
  const { strategy, now, demand } = input;
  const plan: StrategyPlan = { submit: 0, drain: [], cancel: [] };
  const active: BlockView[] = [];
  for (const block of input.blocks) {
    if (block.state === 'draining') {
      if (block.held === 0) plan.cancel.push(block.id);
      continue;
    }
    if (block.endsAt !== undefined && block.endsAt - now <= input.drainPeriodMs) {
      plan.drain.push(block.id);
      if (block.held === 0) plan.cancel.push(block.id);
      continue;
    }
    active.push(block);
  }
  let capacity = 0;
  for (const block of active) capacity += block.state === 'pending' ? input.workersPerBlock : block.workers;
  if (active.length < strategy.minBlocks) {
    plan.submit = strategy.minBlocks - active.length;
  } else if (demand > capacity && active.length < strategy.maxBlocks) {
    const wanted = Math.ceil((demand - capacity) / Math.max(1, input.workersPerBlock));
    plan.submit = Math.min(strategy.maxBlocks - active.length, wanted);
  }
  if (plan.submit > 0 || demand > 0) return plan;
  // Nothing to do: idle blocks above min_blocks go, those idle longest first.
  let count = active.length;
  const idle = active
    .filter((block) => block.held === 0 && block.idleSince !== undefined && now - block.idleSince >= strategy.maxIdleMs)
    .sort((a, b) => a.idleSince! - b.idleSince!);
  for (const block of idle) {
    if (count <= strategy.minBlocks) break;
    plan.cancel.push(block.id);
    count--;
  }
  return plan;
}
