import { basename } from 'node:path';
import type { HubClient } from '../hub-client.js';
import { readSource } from './task-options.js';

export interface RegisterFlags {
  name?: string;
  entrypoint?: string;
  description?: string;
  public?: boolean;
  pure?: boolean;
}

/** `funcx register FILE.py`: prints the new function's id. */
export async function registerCommand(client: HubClient, file: string, flags: RegisterFlags): Promise<number> {
  const source = readSource(file);
  const { function_id } = await client.registerFunction({
    name: flags.name ?? flags.entrypoint ?? basename(file, '.py'),
    source,
    entrypoint: flags.entrypoint,
    language: 'python',
    description: flags.description,
    public: flags.public ?? false,
    ...(flags.pure ? { pure: true } : {}),
  });
  process.stdout.write(`${function_id}\n`);
  return 0;
}
