import { basename } from 'node:path';
import type { HubClient } from '../hub-client.js';
import { CliError } from '@funcx/node-common';
import { readSource, readWasmModule } from './task-options.js';

export interface RegisterFlags {
  name?: string;
  entrypoint?: string;
  description?: string;
  public?: boolean;
  pure?: boolean;
  isolation?: string;
}

/** `funcx register FILE.py` or `funcx register MODULE.wasm`: prints the new function's id. */
export async function registerCommand(client: HubClient, file: string, flags: RegisterFlags): Promise<number> {
  const wasm = file.endsWith('.wasm');
  if (flags.isolation !== undefined && flags.isolation !== 'wasm' && flags.isolation !== 'process') {
    throw new CliError(`--isolation must be wasm or process (got "${flags.isolation}")`, 2);
  }
  const { function_id } = await client.registerFunction({
    name: flags.name ?? flags.entrypoint ?? basename(file, wasm ? '.wasm' : '.py'),
    source: wasm ? readWasmModule(file) : readSource(file),
    entrypoint: flags.entrypoint,
    language: wasm ? 'wasm' : 'python',
    ...(flags.isolation ? { isolation: flags.isolation as 'wasm' | 'process' } : {}),
    description: flags.description,
    public: flags.public ?? false,
    ...(flags.pure ? { pure: true } : {}),
  });
  process.stdout.write(`${function_id}\n`);
  return 0;
}
