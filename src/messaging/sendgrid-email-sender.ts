import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import { DeliveryError, type EmailMessage, type EmailSender } from './types.js';

export interface SendGridEmailSenderOptions {
  apiKey: string;
  /** The verified sender, as an address or "Name <address>". */
  from: string;
  /** Only for tests and EU/regional hosts; the SDK's default host otherwise. */
  baseUrl?: string;
  timeoutMs: number;
}

/**
 * Sends email through SendGrid's v3 API with the official SDK. Each sender owns its own
 * client instead of the SDK's default singleton, so two apps in one process (or two tests)
 * never send with each other's key.
 */
export function createSendGridEmailSender(options: SendGridEmailSenderOptions): EmailSender {
  const client = new Client();
  client.setApiKey(options.apiKey);
  // After setApiKey: it resets the base URL to the region's default host.
  if (options.baseUrl) client.setDefaultRequest('baseUrl', options.baseUrl);

  const mail = new MailService();
  mail.setClient(client);
  // Axios' timeout on every request, so a silent provider cannot hold the outbox worker.
  mail.setTimeout(options.timeoutMs);

  return {
    name: 'sendgrid',
    async send(message: EmailMessage): Promise<void> {
      try {
        await mail.send({
          to: message.to,
          from: options.from,
          subject: message.subject,
          text: message.text,
          ...(message.html === undefined ? {} : { html: message.html }),
        });
      } catch (error) {
        throw toDeliveryError(error);
      }
    },
  };
}

/** The SDK rejects with a ResponseError (numeric `code` = HTTP status) or an axios error. */
function toDeliveryError(error: unknown): DeliveryError {
  const status = (error as { code?: unknown }).code;
  if (typeof status === 'number') {
    // 4xx means SendGrid refused this message or our key: sending it again will not help.
    const retryable = status >= 500 || status === 429 || status < 400;
    return new DeliveryError(`SendGrid answered HTTP ${status}`, retryable, status);
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new DeliveryError(`SendGrid unreachable: ${reason}`, true);
}
