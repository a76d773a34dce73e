import type { JsonValue } from './json.js';

/** A MIME bundle as in Jupyter: `text/plain` is a string, binary types (image/png) are base64 strings. */
export type MimeBundle = { [mimeType: string]: JsonValue };

export type StreamName = 'stdout' | 'stderr';

export interface StreamOutput {
  output_type: 'stream';
  name: StreamName;
  text: string;
}

export interface DisplayOutput {
  output_type: 'display_data';
  data: MimeBundle;
  metadata: { [key: string]: JsonValue };
}

/** What a task printed or displayed, in order. Consecutive stream chunks of one name are merged when stored. */
export type TaskOutput = StreamOutput | DisplayOutput;

/** The value a task returned. */
export interface TaskResult {
  /** The value itself, present when it is JSON-serialisable. */
  value?: JsonValue;
  /** Rich representations (always `text/plain`; `text/html`, `image/png`… when the object has them). */
  data: MimeBundle;
  /** base64 pickle of the value, for Python clients, when it pickles. */
  pickle?: string;
}

/** A Python exception, with a traceback whose line numbers are the user's own. */
export interface TaskError {
  ename: string;
  evalue: string;
  traceback: string[];
}
