import { FUNCX_ACTION_URL } from '@funcx/protocol';
import { HttpActionProvider } from './http-provider.js';
import type { ActionProvider } from './provider.js';

/** The provider behind each ActionUrl: the funcX action for `funcx`, one HTTP client per provider URL otherwise. */
export class ActionProviders {
  private readonly http = new Map<string, HttpActionProvider>();

  constructor(private readonly funcx: ActionProvider) {}

  get(url: string): ActionProvider {
    if (url === FUNCX_ACTION_URL) return this.funcx;
    let provider = this.http.get(url);
    if (!provider) this.http.set(url, (provider = new HttpActionProvider(url)));
    return provider;
  }
}
