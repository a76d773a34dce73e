/**
 * Where a run goes when the user did not pick an endpoint for that one run. One rule, for every entry point
 * (a bare `%%funcx` line, Ctrl+Shift+Enter, the context menu, the picker's first choice, the map):
 *
 * 1. the endpoint the cell's `%%funcx` line names;
 * 2. else the notebook's default endpoint (chosen in the sidebar or on the map);
 * 3. else the endpoint the last run from this page went to;
 * 4. else none: the picker asks, and a `%%funcx` cell says how to choose one.
 */
export function chooseEndpoint(
  named: string | undefined,
  notebookDefault: string | null,
  lastUsed: string | null
): string | undefined {
  return named ?? notebookDefault ?? lastUsed ?? undefined;
}

/** The endpoint a `%%funcx` cell runs on. */
export function cellEndpoint(named: string | undefined, notebookDefault: string | null, lastUsed: string | null = null): string | undefined {
  return chooseEndpoint(named, notebookDefault, lastUsed);
}

/** The endpoint the picker opens with (and "Run cell on NAME" runs on, for a cell without a `%%funcx` line). */
export function preselectedEndpoint(notebookDefault: string | null, lastUsed: string | null): string | null {
  return chooseEndpoint(undefined, notebookDefault, lastUsed) ?? null;
}
