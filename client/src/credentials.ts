import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CREDENTIALS_FILE, type Credentials } from '@funcx/protocol';
import { CliError, funcxHome } from '@funcx/node-common';

export interface HubCredentials {
  hubUrl: string;
  token: string;
}

/** Hub URL and token: FUNCX_HUB_URL / FUNCX_TOKEN first, then `$FUNCX_HOME/credentials.json`. */
export function loadCredentials(env: NodeJS.ProcessEnv = process.env): HubCredentials {
  const path = join(funcxHome(env), CREDENTIALS_FILE);
  let stored: Partial<Credentials> = {};
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // no file: the environment must say everything
  }
  if (text !== undefined) {
    try {
      stored = JSON.parse(text) as Partial<Credentials>;
    } catch {
      throw new CliError(`${path} is not valid JSON: fix or delete it (the hub rewrites it when it starts)`, 2);
    }
  }
  const hubUrl = env.FUNCX_HUB_URL || stored.hub_url;
  const token = env.FUNCX_TOKEN || stored.token;
  if (!hubUrl || !token) {
    const missing = !hubUrl && !token ? 'no hub URL or token' : !hubUrl ? 'no hub URL' : 'no token';
    throw new CliError(
      `${missing}: set FUNCX_HUB_URL and FUNCX_TOKEN, or start the hub once (funcx-hub) so it writes ${path}`,
      2,
    );
  }
  return { hubUrl, token };
}
