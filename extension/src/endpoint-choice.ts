/** Which endpoint a run goes to when the user did not name one: the notebook's default comes first. */

/** The endpoint "Run cell on endpoint…" opens with: the notebook's default, else the one used last. */
export function preselectedEndpoint(notebookDefault: string | null, lastUsed: string | null): string | null {
  return notebookDefault ?? lastUsed;
}

/** The endpoint "Run cell on NAME" runs on: the one used last, else the notebook's default. */
export function repeatEndpoint(lastUsed: string | null, notebookDefault: string | null): string | null {
  return lastUsed ?? notebookDefault;
}

/** The endpoint a `%%funcx` cell runs on: the one its first line names, else the notebook's default. */
export function cellEndpoint(named: string | undefined, notebookDefault: string | null): string | undefined {
  return named ?? notebookDefault ?? undefined;
}
