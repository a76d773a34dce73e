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

const usage = (defaultSamples: number) => `options (all optional):
  --samples N    sequential round trips measured after the warm-up (default ${defaultSamples})
  --batch N      tasks in each measured batch (default 10000)
  --batches N    batches measured; the median is reported (default 5)
  --workers N    workers of the endpoint (default 2)
  --python PATH  the workers' Python (default python3)
  --help         this text`;

/** `--samples N --batch N --batches N --workers N --python PATH` from the command line; exits 2 with why on a bad one. */
export function benchOptions(defaultSamples: number): BenchOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        samples: { type: 'string', default: String(defaultSamples) },
        batch: { type: 'string', default: '10000' },
        batches: { type: 'string', default: '5' },
        workers: { type: 'string', default: '2' },
        python: { type: 'string', default: 'python3' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    return usageError((error as Error).message, defaultSamples);
  }
  if (values.help) {
    process.stdout.write(`${usage(defaultSamples)}\n`);
    process.exit(0);
  }
  const count = (name: string, least: number): number => {
    const value = Number(values[name]);
    return Number.isInteger(value) && value >= least ? value : usageError(`--${name} takes a whole number of at least ${least}, not "${values[name]}"`, defaultSamples);
  };
  return {
    samples: count('samples', 1),
    batch: count('batch', 1),
    batches: count('batches', 1),
    workers: count('workers', 1),
    python: values.python as string,
  };
}

function usageError(message: string, defaultSamples: number): never {
  process.stderr.write(`${message}\n${usage(defaultSamples)}\n`);
  process.exit(2);
}

/** Progress goes to stderr so that stdout holds only the figures. */
export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}
