import { POLICY_NAMES } from '@funcx/hub/routing';
import { simulate, type Scenario } from './routing/simulate.js';
import { log } from './options.js';

/**
 * The funcX routing experiment as a simulation: 3,000 tasks of functions spread over container images, several
 * endpoints with a limited number of warm containers each, routed by each of the hub's policies. Cold starts
 * cost what the funcX artifact measured (Docker and Singularity on EC2, Shifter on Cori, Singularity on Theta)
 * and what podman costs on this machine. Prints completion times and the reduction against random routing.
 */
const COLD_STARTS: [string, number][] = [
  ['podman here (0.15 s)', 0.15],
  ['Singularity, EC2 (1.22 s)', 1.22],
  ['Docker, EC2 (1.79 s)', 1.79],
  ['Shifter, Cori (8.5 s)', 8.5],
  ['Singularity, Theta (10.4 s)', 10.4],
];

const base: Omit<Scenario, 'coldStartSeconds'> = {
  endpoints: 5,
  slots: 8,
  images: 20,
  tasks: 3_000,
  taskSeconds: 0.5,
  arrivalsPerSecond: 60,
  seed: 61,
};

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function table(title: string, scenario: Omit<Scenario, 'coldStartSeconds'>): void {
  log(title);
  const header = ['cold start', ...POLICY_NAMES.map((name) => `${name}: total s (mean s), cold starts`), 'warming-aware vs random: total, mean'];
  const rows = COLD_STARTS.map(([label, coldStartSeconds]) => {
    const outcomes = POLICY_NAMES.map((policy) => simulate({ ...scenario, coldStartSeconds }, policy));
    const byPolicy = Object.fromEntries(outcomes.map((outcome) => [outcome.policy, outcome]));
    const less = (a: number, b: number) => `${((1 - a / b) * 100).toFixed(0)}%`;
    return [
      label,
      ...outcomes.map((outcome) => `${outcome.makespan.toFixed(0)} (${outcome.meanCompletion.toFixed(1)}), ${outcome.coldStarts}`),
      `${less(byPolicy['warming-aware'].makespan, byPolicy.random.makespan)} less, ${less(byPolicy['warming-aware'].meanCompletion, byPolicy.random.meanCompletion)} less`,
    ];
  });
  const widths = header.map((heading, i) => Math.max(heading.length, ...rows.map((row) => row[i].length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => pad(cell, widths[i])).join('  '));
  console.log();
}

const shape = `${base.tasks} tasks over ${base.images} images, ${base.endpoints} endpoints × ${base.slots} warm slots, ${base.taskSeconds} s tasks`;
table(`routing simulation, one batch: ${shape}, all submitted at once`, { ...base, arrivalsPerSecond: Infinity });
table(`routing simulation, a stream: ${shape}, arriving at ${base.arrivalsPerSecond}/s`, base);
