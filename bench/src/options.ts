import { parseArgs } from 'node:util';

export const NOOP_SOURCE = 'def noop():\n    return None\n';

export interface BenchOptions {
  samples: number;
  batch: number;
  /** Batches measured after the warm-up; the median is reported. */
  batches: number;
  workers: number;
  python: string;
}

/** `--samples N --batch N --batches N --workers N --python PATH` from the command line. */
export function benchOptions(defaultSamples: number): BenchOptions {
  const { values } = parseArgs({
    options: {
      samples: { type: 'string', default: String(defaultSamples) },
      batch: { type: 'string', default: '10000' },
      batches: { type: 'string', default: '5' },
      workers: { type: 'string', default: '2' },
      python: { type: 'string', default: 'python3' },
    },
  });
  return {
    samples: Number(values.samples),
    batch: Number(values.batch),
    batches: Math.max(1, Number(values.batches)),
    workers: Number(values.workers),
    python: values.python!,
  };
}

/** Progress goes to stderr so that stdout holds only the figures. */
export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}
