import { join } from 'node:path';
import { bin, runProcess, type HubProcess } from '@funcx/testing';
import { stack } from './stack-env.js';

/** The hub global-setup.ts started, as the testing helpers need it to start one more endpoint from a spec. */
export function sharedHub(): HubProcess {
  const { hubUrl, token, funcxHome } = stack();
  return hubAs(hubUrl, token, funcxHome);
}

/** The shared hub as another user sees it: endpoints configured through it are that user's. */
export function hubAs(hubUrl: string, token: string, funcxHome: string): HubProcess {
  return {
    url: hubUrl,
    token,
    funcxHome,
    env: () => ({ ...process.env, FUNCX_HOME: funcxHome, FUNCX_HUB_URL: hubUrl, FUNCX_TOKEN: token }),
  } as unknown as HubProcess;
}

/** Adds a user to the shared hub (`funcx-hub users add`) and returns its token. */
export async function addUser(name: string): Promise<string> {
  const { funcxHome } = stack();
  const run = await runProcess(process.execPath, [bin.hub, 'users', 'add', name, '--data-dir', join(funcxHome, 'hub')], {
    name: `funcx-hub users add ${name}`,
    env: { ...process.env, FUNCX_HOME: funcxHome },
    timeoutMs: 20_000,
  });
  return run.stdout.trim().split(/\s+/).pop()!;
}
