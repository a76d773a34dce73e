import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** /proc/PID/stat times are in USER_HZ, which Linux fixes at 100 for user space. */
const TICKS_PER_SECOND = 100;
/** Rounds of freezing before the kill: each round stops what the previous round's processes forked meanwhile. */
const MAX_FREEZE_ROUNDS = 64;

interface ProcStat {
  state: string;
  ppid: number;
  /** utime + stime + cutime + cstime: its own CPU time and that of the children it reaped. */
  cpuTicks: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    state: fields[0],
    ppid: Number(fields[1]),
    cpuTicks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
  };
}

let childrenFiles: boolean | undefined;

/** Whether this kernel lists each thread's children in /proc (CONFIG_PROC_CHILDREN); else /proc is scanned. */
function hasChildrenFiles(): boolean {
  childrenFiles ??= existsSync(`/proc/${process.pid}/task/${process.pid}/children`);
  return childrenFiles;
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return children;
  }
  for (const thread of threads) {
    let listing: string;
    try {
      listing = readFileSync(`/proc/${pid}/task/${thread}/children`, 'latin1');
    } catch {
      continue;
    }
    for (const child of listing.split(' ')) if (child.trim()) children.push(Number(child));
  }
  return children;
}

/** Without per-thread children files: every process's parent, from a scan of /proc. */
function scanParents(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (!stat) continue;
    const siblings = byParent.get(stat.ppid);
    if (siblings) siblings.push(pid);
    else byParent.set(stat.ppid, [pid]);
  }
  return byParent;
}

/** `root` and every process below it (Linux /proc; empty where there is none). */
export function processTree(root: number): number[] {
  if (!existsSync(`/proc/${root}`)) return [];
  const parents = hasChildrenFiles() ? undefined : scanParents();
  const tree = [root];
  const seen = new Set(tree);
  for (let i = 0; i < tree.length; i++) {
    for (const child of parents ? (parents.get(tree[i]) ?? []) : childrenOf(tree[i])) {
      if (seen.has(child)) continue;
      seen.add(child);
      tree.push(child);
    }
  }
  return tree;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}

/**
 * Kills `root` and everything below it. The tree is frozen first (SIGSTOP, round after round, until two rounds
 * in a row find no new process), so nothing forks away between finding a process and killing it. Two: a child
 * forked just as its parent stopped may be missing from the parent's children file for one read (Linux lists
 * children reliably only once they are all stopped), and a process left out would outlive the kill.
 */
export function killTree(root: number): void {
  const stopped = new Set<number>();
  let quiet = 0;
  for (let round = 0; round < MAX_FREEZE_ROUNDS && quiet < 2; round++) {
    let fresh = 0;
    for (const pid of processTree(root)) {
      if (stopped.has(pid)) continue;
      signal(pid, 'SIGSTOP');
      stopped.add(pid);
      fresh++;
    }
    quiet = fresh === 0 ? quiet + 1 : 0;
  }
  if (stopped.size === 0) signal(root, 'SIGKILL');
  for (const pid of stopped) signal(pid, 'SIGKILL');
}

export interface TreeUsage {
  /** Live (not zombie) processes in the tree, root included. */
  processes: number;
  /** CPU time of the tree, and of the processes it already reaped. */
  cpuSeconds: number;
}

export function treeUsage(root: number): TreeUsage {
  let processes = 0;
  let ticks = 0;
  for (const pid of processTree(root)) {
    const stat = readStat(pid);
    if (!stat) continue;
    ticks += stat.cpuTicks;
    if (stat.state !== 'Z' && stat.state !== 'X') processes++;
  }
  return { processes, cpuSeconds: ticks / TICKS_PER_SECOND };
}
