import { existsSync, readFileSync } from 'node:fs';
import type { HubClient } from '@funcx/client';
import { isFinalState, type TaskRecord, type TaskSubmission } from '@funcx/protocol';
import { sleep } from './cluster.js';

/** The final state and result of a task, as one comparable string. */
function outcome(record: Pick<TaskRecord, 'state' | 'result' | 'error'>): string {
  return JSON.stringify([record.state, record.result?.value ?? null, record.error?.ename ?? null, record.error?.evalue ?? null]);
}

export interface Tally {
  submitted: number;
  /** Batches sent again to another hub because the first did not answer. */
  resubmittedBatches: number;
  success: number;
  failed: Record<string, number>;
  /** Tasks without a final state at the end (must be 0). */
  lost: number;
  /** Tasks seen with two different final outcomes, in events or records (must be 0). */
  conflicting: number;
  /** Successful tasks whose value is not the one expected (must be 0). */
  wrongValues: number;
  executions: number;
  ranMoreThanOnce: number;
  finalEvents: number;
}

/**
 * Everything a chaos test submits and sees: the ids the hubs acknowledged, every final event each client
 * received, and at the end every record as each hub shows it.
 */
export class Ledger {
  readonly argOf = new Map<string, number>();
  private readonly outcomes = new Map<string, Set<string>>();
  private resubmitted = 0;
  finalEvents = 0;

  constructor(private readonly clients: HubClient[]) {
    for (const client of clients) {
      client.onTaskEvents((events) => {
        for (const event of events) {
          if (event.type !== 'final') continue;
          this.finalEvents++;
          this.see(event.task_id, outcome(event));
        }
      });
    }
  }

  /** Submits a batch through the preferred client, or the next one while a hub does not answer. */
  async submit(preferred: number, args: number[], build: (i: number) => TaskSubmission): Promise<string[]> {
    for (let attempt = 0; attempt < 60; attempt++) {
      const client = this.clients[(preferred + attempt) % this.clients.length];
      try {
        const { task_ids } = await client.submitLive(args.map(build));
        task_ids.forEach((id, i) => this.argOf.set(id, args[i]));
        return task_ids;
      } catch {
        this.resubmitted++;
        await sleep(250);
      }
    }
    throw new Error('no hub accepted a batch for 15 s');
  }

  /** Ids that no client has seen finish yet. */
  unfinished(): string[] {
    return [...this.argOf.keys()].filter((id) => !this.outcomes.has(id));
  }

  /** Waits until every task is final, asking the hubs (REST, round robin) about those no event announced. */
  async waitForAll(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let turn = 0;
    for (;;) {
      const left = this.unfinished();
      if (left.length === 0) return;
      if (Date.now() > deadline) throw new Error(`${left.length} tasks not final after ${timeoutMs} ms, e.g. ${left.slice(0, 3).join(', ')}`);
      await sleep(1_000);
      const sample = this.unfinished().slice(0, 300);
      await this.records(sample, this.clients[turn++ % this.clients.length]).then(
        (records) => records.forEach((record) => isFinalState(record.state) && this.see(record.task_id, outcome(record))),
        () => undefined,
      );
    }
  }

  /** Reads every record from every hub and counts what happened. */
  async tally(executionLog: string): Promise<Tally> {
    const ids = [...this.argOf.keys()];
    const failed: Record<string, number> = {};
    let success = 0;
    let lost = 0;
    let wrongValues = 0;
    for (const client of this.clients) {
      const records = await this.records(ids, client);
      for (const record of records) this.see(record.task_id, isFinalState(record.state) ? outcome(record) : 'unfinished');
    }
    const byId = new Map((await this.records(ids, this.clients[0])).map((record) => [record.task_id, record]));
    for (const id of ids) {
      const record = byId.get(id)!;
      if (!isFinalState(record.state)) lost++;
      else if (record.state === 'success') {
        success++;
        if (record.result?.value !== this.argOf.get(id)! * 2) wrongValues++;
      } else {
        const reason = record.error?.ename ?? record.state;
        failed[reason] = (failed[reason] ?? 0) + 1;
      }
    }
    const runs = new Map<number, number>();
    const lines = existsSync(executionLog) ? readFileSync(executionLog, 'utf8').split('\n').filter(Boolean) : [];
    for (const line of lines) runs.set(Number(line), (runs.get(Number(line)) ?? 0) + 1);
    return {
      submitted: ids.length,
      resubmittedBatches: this.resubmitted,
      success,
      failed,
      lost,
      conflicting: [...this.outcomes.values()].filter((seen) => seen.size > 1).length,
      wrongValues,
      executions: lines.length,
      ranMoreThanOnce: [...runs.values()].filter((n) => n > 1).length,
      finalEvents: this.finalEvents,
    };
  }

  private see(taskId: string, seen: string): void {
    if (!this.argOf.has(taskId)) return;
    let set = this.outcomes.get(taskId);
    if (!set) this.outcomes.set(taskId, (set = new Set()));
    set.add(seen);
  }

  private async records(ids: string[], client: HubClient): Promise<TaskRecord[]> {
    const records: TaskRecord[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      records.push(...(await Promise.all(ids.slice(i, i + 100).map((id) => client.getTask(id)))));
    }
    return records;
  }
}

export function describeTally(title: string, tally: Tally): string {
  const failed = Object.entries(tally.failed).map(([reason, n]) => `${n} ${reason}`).join(', ') || 'none';
  return [
    `${title}:`,
    `  submitted ${tally.submitted} tasks (${tally.resubmittedBatches} batch submissions retried on another hub)`,
    `  final: ${tally.success} success, failed: ${failed}; lost ${tally.lost}; conflicting results ${tally.conflicting}; wrong values ${tally.wrongValues}`,
    `  executions ${tally.executions} (${tally.ranMoreThanOnce} tasks ran more than once); final events received ${tally.finalEvents}`,
  ].join('\n');
}
