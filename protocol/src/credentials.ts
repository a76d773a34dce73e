/** `$FUNCX_HOME/credentials.json` (default `~/.funcx`), written by the hub on first start, mode 600. */
export interface Credentials {
  hub_url: string;
  token: string;
}

export const FUNCX_HOME_ENV = 'FUNCX_HOME';
export const CREDENTIALS_FILE = 'credentials.json';
