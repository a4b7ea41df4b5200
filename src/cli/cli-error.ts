/** An expected failure (bad input, unknown user...): one `error: …` line and exit code 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}
