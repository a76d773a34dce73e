import type { HubProcess } from '@funcx/testing';
import { stack } from './stack-env.js';

/** The hub global-setup.ts started, as the testing helpers need it to start one more endpoint from a spec. */
export function sharedHub(): HubProcess {
  const { hubUrl, token, funcxHome } = stack();
  return {
    url: hubUrl,
    token,
    funcxHome,
    env: () => ({ ...process.env, FUNCX_HOME: funcxHome, FUNCX_HUB_URL: hubUrl, FUNCX_TOKEN: token }),
  } as unknown as HubProcess;
}
