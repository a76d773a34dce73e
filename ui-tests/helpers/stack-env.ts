/** How global-setup.ts hands the running stack to the specs (environment variables survive into workers). */
export interface StackInfo {
  labUrl: string;
  hubUrl: string;
  token: string;
  funcxHome: string;
  /** JupyterLab's root dir: notebooks written here open at `${labUrl}/lab/tree/NAME`. */
  notebookDir: string;
}

const KEYS: Record<keyof StackInfo, string> = {
  labUrl: 'FUNCX_UI_LAB_URL',
  hubUrl: 'FUNCX_UI_HUB_URL',
  token: 'FUNCX_UI_TOKEN',
  funcxHome: 'FUNCX_UI_HOME',
  notebookDir: 'FUNCX_UI_NOTEBOOK_DIR',
};

export function publishStack(info: StackInfo): void {
  for (const [key, name] of Object.entries(KEYS)) process.env[name] = info[key as keyof StackInfo];
}

export function stack(): StackInfo {
  const entries = Object.entries(KEYS).map(([key, name]) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run the specs through playwright.config.ts (its global setup)`);
    return [key, value];
  });
  return Object.fromEntries(entries) as StackInfo;
}
