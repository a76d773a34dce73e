import type { ProviderKind, Provider, ProviderOptions } from './provider.js';
import { LocalProvider } from './local.js';

export function createProvider(kind: ProviderKind, options: ProviderOptions): Provider {
  switch (kind) {
    case 'local':
      return new LocalProvider(options);
  }
}
