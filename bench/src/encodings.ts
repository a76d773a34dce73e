/**
 * What Socket.IO's encoding of the hub's busiest messages costs, with its default parser (JSON text) and with
 * socket.io-msgpack-parser (MessagePack): encode and decode time and bytes on the wire, for each message as a
 * batch sends it (2,000 tasks or events) and as one sequential round trip sends it (one). The messages have the
 * shapes protocol/ gives them and the no-op's contents (uuid ids, five fractional epoch stamps).
 */
import { randomUUID } from 'node:crypto';
import type { DispatchedTask, StateTimestamps, TaskCompletion, TaskEvent, TaskResult, TaskSubmission } from '@funcx/protocol';
import * as jsonParser from 'socket.io-parser';
import * as msgpackParser from 'socket.io-msgpack-parser';
import { loadAverage } from './scale-cpu.js';
import { quantile } from './stats.js';

interface Parser {
  Encoder: new () => { encode(packet: object): (string | Uint8Array)[] };
  Decoder: new () => { on(event: 'decoded', listener: (packet: unknown) => void): void; add(chunk: string | Uint8Array): void };
}

const PARSERS: [string, Parser][] = [
  ['default (JSON)', jsonParser as unknown as Parser],
  ['msgpack', msgpackParser as unknown as Parser],
];
/** Socket.IO's EVENT packet type. */
const EVENT = 2;

function stamps(): StateTimestamps {
  const at = Date.now() + Math.random();
  return { received: at, 'waiting-for-endpoint': at + 0.05, 'waiting-for-launch': at + 0.3, running: at + 0.4, success: at + 0.41 };
}

/** What a no-op returns: None, and its text. */
const NOOP_RESULT: TaskResult = { value: null, data: { 'text/plain': 'None' } };

const submission = (functionId: string): TaskSubmission => ({ function_id: functionId, endpoint: 'bench' });
const dispatched = (functionId: string): DispatchedTask => ({ task_id: randomUUID(), function_id: functionId, owner: 'user-1', args: [], kwargs: {} });
const completion = (): TaskCompletion => ({ task_id: randomUUID(), state: 'success', timestamps: stamps(), result: NOOP_RESULT });
const finalEvent = (endpointId: string): TaskEvent => ({ type: 'final', task_id: randomUUID(), endpoint_id: endpointId, state: 'success', timestamps: stamps(), result: NOOP_RESULT });

function messages(count: number): [string, string, unknown[]][] {
  const functionId = randomUUID();
  const endpointId = randomUUID();
  const many = <T>(make: () => T) => Array.from({ length: count }, make);
  return [
    ['client -> hub', 'tasks:submit', ['tasks:submit', { tasks: many(() => submission(functionId)) }]],
    ['hub -> daemon', 'tasks:dispatch', ['tasks:dispatch', { tasks: many(() => dispatched(functionId)), functions: [] }]],
    ['daemon -> hub', 'tasks:done', ['tasks:done', many(completion)]],
    ['hub -> client', 'task:events', ['task:events', many(() => finalEvent(endpointId))]],
  ];
}

/** Median µs of `rounds` rounds of `reps` calls each. */
function timed(rounds: number, reps: number, work: () => void): number {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) work();
    times.push(((performance.now() - start) * 1_000) / reps);
  }
  return quantile(times, 0.5);
}

function measure(parser: Parser, data: unknown[], reps: number): { encodeUs: number; decodeUs: number; bytes: number } {
  const encoder = new parser.Encoder();
  const packet = { type: EVENT, nsp: '/client', data };
  const encoded = encoder.encode(packet);
  const bytes = encoded.reduce((sum, part) => sum + (typeof part === 'string' ? Buffer.byteLength(part) : part.byteLength), 0);
  const decode = () => {
    const decoder = new parser.Decoder();
    let decoded = false;
    decoder.on('decoded', () => (decoded = true));
    for (const part of encoded) decoder.add(part);
    if (!decoded) throw new Error('the packet did not decode');
  };
  timed(3, reps, () => encoder.encode(packet));
  timed(3, reps, decode);
  return { encodeUs: timed(7, reps, () => encoder.encode(packet)), decodeUs: timed(7, reps, decode), bytes };
}

const rows: string[][] = [['message', 'tasks', 'parser', 'encode µs', 'decode µs', 'bytes', 'vs default']];
for (const count of [1, 2_000]) {
  const reps = count === 1 ? 20_000 : 30;
  for (const [direction, name, data] of messages(count)) {
    const figures = PARSERS.map(([label, parser]) => [label, measure(parser, data, reps)] as const);
    const [, base] = figures[0];
    for (const [label, f] of figures) {
      const ratio = (f.encodeUs + f.decodeUs) / (base.encodeUs + base.decodeUs);
      rows.push([`${name} (${direction})`, String(count), label, f.encodeUs.toFixed(1), f.decodeUs.toFixed(1), f.bytes.toLocaleString('en-US'), `${ratio.toFixed(2)}×`]);
    }
  }
}
console.log(`\nfuncX encodings benchmark: Socket.IO packets of the hub's messages, encoded and decoded in this process (node ${process.version}, ${new Date().toISOString()}, load ${loadAverage()})\n`);
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
for (const row of rows) console.log(row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   '));
console.log('\nvs default: (encode + decode) against the default parser\'s on the same message');
