import { homedir } from 'node:os';
import { join } from 'node:path';
import { FUNCX_HOME_ENV } from '@funcx/protocol';

/** `$FUNCX_HOME`, default `~/.funcx`: credentials, the embedded hub's data, endpoints' configs. */
export function funcxHome(env: NodeJS.ProcessEnv = process.env): string {
  return env[FUNCX_HOME_ENV] || join(homedir(), '.funcx');
}
