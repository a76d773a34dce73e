/** An error a command line prints as one line (`PROGRAM: MESSAGE`) before exiting with `exitCode` (1: failed, 2: usage or configuration). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
