/** An error the CLI reports as one line, with its exit code (1: failed, 2: usage or configuration). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
