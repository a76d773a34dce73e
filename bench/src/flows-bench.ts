import { parseArgs } from 'node:util';
import { buildApp, type HubApp } from '@funcx/hub';
import type { FlowDefinition, FlowRecord, FlowRunRecord } from '@funcx/protocol';
import { cleanup, makeTempDir, startRedis } from '@funcx/testing';
import { log } from './options.js';
import { latencyFigures, ms, quantile } from './stats.js';

// The flow engine on this machine, in one hub process, on the embedded store (persisted in a data dir) and on
// Redis: what one state transition costs (a chain of Pass states, one run at a time), and 1,000 runs of a
// 3-state flow (Pass, ExpressionEval, Choice; no endpoints) started at once. Each transition is committed to the
// store before the next state runs, as in production; REST is left out (a run is started through the service).

const { values } = parseArgs({ options: { runs: { type: 'string', default: '1000' }, chain: { type: 'string', default: '200' }, repeats: { type: 'string', default: '5' } } });
const RUNS = Number(values.runs);
const CHAIN = Number(values.chain);
const REPEATS = Number(values.repeats);

/** Pass, ExpressionEval, Choice: the 3-state flow of the concurrency figure. */
const THREE_STATES: FlowDefinition = {
  StartAt: 'prepare',
  States: {
    prepare: { Type: 'Pass', Parameters: { 'n.$': '$.n', tag: 'bench' }, Next: 'compute' },
    compute: { Type: 'ExpressionEval', Parameters: { 'n.$': '$.n', 'double.=': 'n * 2' }, Next: 'decide' },
    decide: { Type: 'Choice', Choices: [{ Variable: '$.double', NumericGreaterThan: 1_000, Next: 'big' }], Default: 'small' },
    big: { Type: 'Pass', End: true },
    small: { Type: 'Pass', End: true },
  },
};

/** State transitions one run of THREE_STATES makes (four states entered). */
const TRANSITIONS_PER_RUN = 4;

function chain(length: number): FlowDefinition {
  const states: FlowDefinition['States'] = {};
  for (let i = 0; i < length; i++) states[`s${i}`] = i === length - 1 ? { Type: 'Pass', End: true } : { Type: 'Pass', Next: `s${i + 1}` };
  return { StartAt: 's0', States: states };
}

interface Figures {
  store: string;
  transitionP50: number;
  transitionP99: number;
  runsPerSecond: number;
  transitionsPerSecond: number;
  runP50: number;
  runP99: number;
  wallMs: number;
}

async function deploy(hub: HubApp['hub'], definition: FlowDefinition): Promise<FlowRecord> {
  return hub.flows.service.deploy({ user: 'bench', via: 'rest' }, { title: 'bench', definition });
}

/** Starts a run and resolves with its final record. */
async function runToEnd(hub: HubApp['hub'], flow: FlowRecord, input: unknown): Promise<FlowRunRecord> {
  const run = await hub.flows.service.run({ user: 'bench', via: 'rest' }, flow.flow_id, { input: input as never });
  await hub.flows.engine.driving(run.run_id)?.whenStopped();
  return (await hub.store.flows.getRun(run.run_id))!;
}

async function measure(label: string, open: () => Promise<HubApp>): Promise<Figures> {
  const { app, hub } = await open();
  try {
    await hub.store.putUser({ name: 'bench', created_at: Date.now() });
    const chained = await deploy(hub, chain(CHAIN));
    const three = await deploy(hub, THREE_STATES);
    log(`${label}: warming up…`);
    for (let i = 0; i < 2; i++) await runToEnd(hub, chained, {});
    await Promise.all(Array.from({ length: 200 }, (_, n) => runToEnd(hub, three, { n })));

    log(`${label}: ${REPEATS} runs of a chain of ${CHAIN} Pass states, one at a time…`);
    const gaps: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const run = await runToEnd(hub, chained, {});
      const entered = (await hub.store.flows.readRunEvents(run.run_id, 0, CHAIN * 3)).filter((event) => event.type === 'state_entered').map((event) => event.at);
      for (let i = 1; i < entered.length; i++) gaps.push(entered[i] - entered[i - 1]);
    }

    log(`${label}: ${RUNS} runs of the 3-state flow at once…`);
    const started = performance.now();
    const runs = await Promise.all(Array.from({ length: RUNS }, (_, n) => runToEnd(hub, three, { n })));
    const wallMs = performance.now() - started;
    const failed = runs.filter((run) => run.status !== 'SUCCEEDED');
    if (failed.length > 0) throw new Error(`${label}: ${failed.length} runs did not succeed: ${JSON.stringify(failed[0].error)}`);
    const latencies = runs.map((run) => run.completed_at! - run.created_at);
    const transition = latencyFigures(gaps);
    return {
      store: label,
      transitionP50: transition.p50,
      transitionP99: transition.p99,
      runsPerSecond: (RUNS * 1000) / wallMs,
      transitionsPerSecond: (RUNS * TRANSITIONS_PER_RUN * 1000) / wallMs,
      runP50: quantile(latencies, 0.5),
      runP99: quantile(latencies, 0.99),
      wallMs,
    };
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const figures: Figures[] = [];
  figures.push(await measure('embedded store (data dir)', () => buildApp({ dataDir: makeTempDir('funcx-bench-flows-'), logLevel: 'warn' })));
  const redis = await startRedis();
  try {
    figures.push(await measure('redis', () => buildApp({ store: `${redis.url}/0`, logLevel: 'warn' })));
  } finally {
    await cleanup();
  }
  process.stdout.write(`\nflows on this machine: ${CHAIN}-state chains (${REPEATS} runs) for the transition, ${RUNS} runs of Pass → ExpressionEval → Choice → Pass at once\n\n`);
  process.stdout.write('| store | transition p50 | transition p99 | 1,000 runs: wall | runs/s | transitions/s | run latency p50 | run latency p99 |\n');
  process.stdout.write('| --- | --- | --- | --- | --- | --- | --- | --- |\n');
  for (const f of figures) {
    process.stdout.write(
      `| ${f.store} | ${ms(f.transitionP50)} | ${ms(f.transitionP99)} | ${ms(f.wallMs)} | ${Math.round(f.runsPerSecond).toLocaleString('en-US')} | ${Math.round(f.transitionsPerSecond).toLocaleString('en-US')} | ${ms(f.runP50)} | ${ms(f.runP99)} |\n`,
    );
  }
}

await main();
process.exit(0);
