import { parseArgs } from 'node:util';

export const NOOP_SOURCE = 'def noop():\n    return None\n';

export interface BenchOptions {
  samples: number;
  batch: number;
  workers: number;
  python: string;
}

/** `--samples N --batch N --workers N --python PATH` from the command line. */
export function benchOptions(defaultSamples: number): BenchOptions {
  const { values } = parseArgs({
    options: {
      samples: { type: 'string', default: String(defaultSamples) },
      batch: { type: 'string', default: '10000' },
      workers: { type: 'string', default: '2' },
      python: { type: 'string', default: 'python3' },
    },
  });
  return {
    samples: Number(values.samples),
    batch: Number(values.batch),
    workers: Number(values.workers),
    python: values.python!,
  };
}

/** Progress goes to stderr so that stdout holds only the figures. */
export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}
