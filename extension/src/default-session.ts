import type { INotebookModel } from '@jupyterlab/notebook';
import { NOTEBOOK_METADATA_KEY } from './default-endpoint';

/**
 * A notebook's default session (notebook metadata `funcx.session`): the `%%funcx` cells that name none run in it,
 * sharing their names, as cells on a kernel do. Only a valid session name counts.
 */
export function readDefaultSession(model: INotebookModel | null | undefined): string | null {
  const value = model?.getMetadata(NOTEBOOK_METADATA_KEY) as { session?: unknown } | undefined;
  return typeof value?.session === 'string' && value.session ? value.session : null;
}

export function writeDefaultSession(model: INotebookModel, name: string | null): void {
  const value = { ...((model.getMetadata(NOTEBOOK_METADATA_KEY) as object | undefined) ?? {}) } as { session?: string };
  if (name) value.session = name;
  else delete value.session;
  if (Object.keys(value).length === 0) model.deleteMetadata(NOTEBOOK_METADATA_KEY);
  else model.setMetadata(NOTEBOOK_METADATA_KEY, value);
}
