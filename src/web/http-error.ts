/** An expected HTTP failure: the error handler renders its page with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason?: string,
  ) {
    super(reason ?? `HTTP ${status}`);
    this.name = 'HttpError';
  }
}
