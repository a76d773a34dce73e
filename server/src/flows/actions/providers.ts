import { DATA_ACTION_URL, FUNCX_ACTION_URL } from '@funcx/protocol';
import { HttpActionProvider } from './http-provider.js';
import type { ActionProvider } from './provider.js';

/**
 * The provider behind each ActionUrl: the funcX action for `funcx`, the data action for `data`, one HTTP client
 * per provider URL otherwise.
 */
export class ActionProviders {
  private readonly http = new Map<string, HttpActionProvider>();

  constructor(
    private readonly funcx: ActionProvider,
    private readonly data: ActionProvider,
  ) {}

  get(url: string): ActionProvider {
    if (url === FUNCX_ACTION_URL) return this.funcx;
    if (url === DATA_ACTION_URL) return this.data;
    let provider = this.http.get(url);
    if (!provider) this.http.set(url, (provider = new HttpActionProvider(url)));
    return provider;
  }
}
