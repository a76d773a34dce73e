import type { BlockStatus } from '@funcx/protocol';
import type { Strategy } from './config-blocks.js';
import type { Interchange } from './interchange.js';
import type { Log } from './log.js';
import type { ManagerLink } from './manager-link.js';
import type { BlockLaunch, Provider } from './providers/provider.js';
import { planBlocks, type BlockView } from './strategy.js';

interface Block {
  id: string;
  jobId?: string;
  state: 'pending' | 'running' | 'draining';
  nodes: number;
  links: Set<ManagerLink>;
  idleSince?: number;
  endsAt?: number;
}

export interface BlocksOptions {
  provider: Provider;
  interchange: Interchange;
  strategy: Strategy;
  /** What each block's managers are started with (the daemon's address and secret). */
  launch: (blockId: string, nodes: number) => BlockLaunch;
  /** Workers one node is expected to run, before its manager says. */
  workersPerNode: number;
  drainPeriodMs: number;
  log: Log;
  /** A block ended (the scheduler no longer lists it). */
  onGone?: (blockId: string) => void;
}

/** The default drain period: a tenth of the walltime, at most 5 minutes. */
export function defaultDrainPeriodMs(walltimeMs: number | undefined): number {
  return walltimeMs === undefined ? 0 : Math.min(300_000, walltimeMs / 10);
}

/**
 * The endpoint's blocks: submitted through the provider as the strategy (strategy.ts) says, matched with the
 * managers that connect from them, polled at the scheduler. A block the scheduler no longer lists, or whose
 * managers are all lost, is gone: the interchange has already put its tasks back in the queue.
 */
export class Blocks {
  private readonly blocks = new Map<string, Block>();
  private nextId = 0;
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private stopped = false;

  constructor(private readonly options: BlocksOptions) {}

  /** Submits init_blocks (at least min_blocks) and starts the strategy. */
  async start(): Promise<void> {
    const { strategy } = this.options;
    const count = Math.max(strategy.initBlocks, strategy.minBlocks);
    await Promise.all(Array.from({ length: count }, () => this.submit()));
    this.timer = setInterval(() => void this.tick(), strategy.periodMs);
    this.timer.unref();
  }

  private async submit(): Promise<void> {
    const id = String(this.nextId++);
    const nodes = this.options.strategy.nodesPerBlock;
    const block: Block = { id, state: 'pending', nodes, links: new Set() };
    this.blocks.set(id, block);
    try {
      block.jobId = await this.options.provider.submit(this.options.launch(id, nodes));
      this.options.log('info', `block ${id} submitted (${this.options.provider.kind} job ${block.jobId}, ${nodes} node(s))`);
    } catch (error) {
      this.blocks.delete(id);
      this.options.log('error', `block ${id} could not be submitted: ${(error as Error).message}`);
    }
  }

  /** A manager joined, became ready or was lost: the block it came from is running, or loses it. */
  managerEvent(link: ManagerLink, event: 'joined' | 'ready' | 'failed' | 'lost'): void {
    const block = this.blocks.get(link.register.block_id);
    if (!block) {
      // A manager from a block this daemon does not know (a previous run's, or one started by hand): it serves on.
      return;
    }
    if (event === 'joined') {
      block.links.add(link);
      if (block.state === 'pending') {
        block.state = 'running';
        const walltime = this.options.provider.walltimeMs;
        if (walltime !== undefined) block.endsAt = performance.now() + walltime;
      }
      if (block.state === 'draining') this.options.interchange.drain(link);
    } else if (event === 'lost') {
      block.links.delete(link);
    }
  }

  status(): BlockStatus[] {
    const statuses: BlockStatus[] = [];
    for (const block of this.blocks.values()) {
      let workers = 0;
      let busy = 0;
      for (const link of block.links) {
        workers += link.load.workers_total;
        busy += link.load.workers_busy;
      }
      statuses.push({ job_id: block.jobId ?? `block ${block.id}`, state: block.state, nodes: block.nodes, nodes_connected: block.links.size, workers, workers_busy: busy });
    }
    return statuses;
  }

  /** One look at the scheduler and the queue: blocks that are gone are dropped, then the strategy's plan is done. */
  async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      await this.poll();
      if (this.stopped) return;
      this.plan();
    } catch (error) {
      this.options.log('warn', `the block strategy could not run: ${(error as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  private async poll(): Promise<void> {
    const submitted = [...this.blocks.values()].filter((block) => block.jobId !== undefined);
    if (submitted.length === 0) return;
    const states = await this.options.provider.status(submitted.map((block) => block.jobId!));
    for (const block of submitted) {
      const state = states.get(block.jobId!) ?? 'gone';
      if (state !== 'gone') continue;
      this.blocks.delete(block.id);
      const lost = [...block.links];
      if (lost.length > 0 || block.state !== 'draining') {
        this.options.log('warn', `block ${block.id} (${this.options.provider.kind} job ${block.jobId}) ended while ${block.state}`);
      }
      for (const link of lost) link.close(`its block (job ${block.jobId}) ended`);
      this.options.onGone?.(block.id);
    }
  }

  private plan(): void {
    const now = performance.now();
    const views: BlockView[] = [];
    for (const block of this.blocks.values()) {
      if (block.jobId === undefined) {
        // Still being submitted: it counts as pending, so the strategy does not submit it twice.
        views.push({ id: block.id, state: 'pending', workers: 0, held: 0 });
        continue;
      }
      let held = 0;
      let workers = 0;
      for (const link of block.links) {
        held += link.held.size;
        workers += link.load.workers_total;
      }
      if (held > 0 || block.state === 'pending') block.idleSince = undefined;
      else block.idleSince ??= now;
      views.push({ id: block.id, state: block.state, workers, held, idleSince: block.idleSince, endsAt: block.endsAt });
    }
    const { interchange, strategy } = this.options;
    const plan = planBlocks({
      strategy,
      now,
      demand: interchange.outstanding,
      workersPerBlock: this.options.workersPerNode * strategy.nodesPerBlock,
      blocks: views,
      drainPeriodMs: this.options.drainPeriodMs,
    });
    for (const id of plan.drain) {
      const block = this.blocks.get(id);
      if (!block) continue;
      block.state = 'draining';
      this.options.log('info', `block ${id} (job ${block.jobId}) drains: its walltime ends soon`);
      for (const link of block.links) interchange.drain(link);
    }
    const cancel = plan.cancel.map((id) => this.blocks.get(id)).filter((block): block is Block => block?.jobId !== undefined);
    if (cancel.length > 0) {
      for (const block of cancel) {
        this.blocks.delete(block.id);
        for (const link of block.links) link.send({ t: 'stop' });
        this.options.log('info', `block ${block.id} (job ${block.jobId}) is cancelled: ${block.state === 'draining' ? 'drained' : 'idle'}`);
      }
      void this.options.provider.cancel(cancel.map((block) => block.jobId!));
    }
    for (let i = 0; i < plan.submit; i++) void this.submit();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const jobs = [...this.blocks.values()].map((block) => block.jobId).filter((id): id is string => id !== undefined);
    this.blocks.clear();
    await this.options.provider.cancel(jobs);
    await this.options.provider.stop();
  }
}
