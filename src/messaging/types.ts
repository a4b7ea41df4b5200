/** One email as the app hands it to a provider. `text` is always set; `html` is optional. */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** One SMS. `to` is always E.164 (validated before it reaches a sender). */
export interface SmsMessage {
  to: string;
  body: string;
}

/**
 * A delivery channel. `send` resolves when the provider accepted the message and rejects
 * with a `DeliveryError` otherwise. It must give up after the configured timeout: a slow
 * provider may delay mail, never hang the outbox worker.
 */
export interface EmailSender {
  readonly name: string;
  send(message: EmailMessage): Promise<void>;
}

export interface SmsSender {
  readonly name: string;
  send(message: SmsMessage): Promise<void>;
}

/** A provider refused or failed a message. `retryable` is false for permanent refusals (4xx). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}
