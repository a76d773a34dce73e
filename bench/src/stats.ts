/** The q-quantile (0..1) of samples, nearest-rank. */
export function quantile(samples: number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export interface LatencyFigures {
  samples: number;
  p50: number;
  p99: number;
  mean: number;
}

export function latencyFigures(samples: number[]): LatencyFigures {
  return {
    samples: samples.length,
    p50: quantile(samples, 0.5),
    p99: quantile(samples, 0.99),
    mean: samples.reduce((sum, x) => sum + x, 0) / samples.length,
  };
}

export function ms(value: number): string {
  return Number.isFinite(value) ? `${value < 10 ? value.toFixed(3) : value.toFixed(1)} ms` : '-';
}

export function rate(tasksPerSecond: number): string {
  return `${Math.round(tasksPerSecond).toLocaleString('en-US')} tasks/s`;
}
