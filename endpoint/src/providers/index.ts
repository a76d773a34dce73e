import type { ProviderKind, Provider, ProviderOptions } from './provider.js';
import { KubernetesProvider } from './kubernetes.js';
import { LocalProvider } from './local.js';
import { PbsProvider } from './pbs.js';
import { SlurmProvider } from './slurm.js';

export function createProvider(kind: ProviderKind, options: ProviderOptions): Provider {
  switch (kind) {
    case 'local':
      return new LocalProvider(options);
    case 'slurm':
      return new SlurmProvider(options);
    case 'pbs':
      return new PbsProvider(options);
    case 'kubernetes':
      return new KubernetesProvider(options);
  }
}
