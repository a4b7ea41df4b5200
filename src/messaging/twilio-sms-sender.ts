import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { DeliveryError, type SmsMessage, type SmsSender } from './types.js';

export interface TwilioSmsSenderOptions {
  accountSid: string;
  authToken: string;
  /** A Twilio number in E.164 (or an alphanumeric sender ID where the country allows it). */
  from: string;
  /** Only for tests: every API call goes to this origin instead of https://api.twilio.com. */
  baseUrl?: string;
  /** USD: Twilio refuses a message that would cost more (Twilio's MaxPrice). */
  maxPrice?: number;
  timeoutMs: number;
}

/** Sends SMS with Twilio's Messages API through the official SDK. */
export function createTwilioSmsSender(options: TwilioSmsSenderOptions): SmsSender {
  const client = twilio(options.accountSid, options.authToken, {
    httpClient: new TwilioHttpClient(options.timeoutMs, options.baseUrl),
  });

  return {
    name: 'twilio',
    async send(message: SmsMessage): Promise<void> {
      try {
        await client.messages.create({
          to: message.to,
          from: options.from,
          body: message.body,
          ...(options.maxPrice !== undefined ? { maxPrice: options.maxPrice } : {}),
        });
      } catch (error) {
        throw toDeliveryError(error);
      }
    },
  };
}

/**
 * The SDK's own HTTP client with a request timeout and, when `baseUrl` is given, the origin of
 * every URL replaced by it. The SDK has no base-URL option (edge/region only rewrite the
 * twilio.com host name), and its `httpClient` option is the documented way to swap transport.
 */
class TwilioHttpClient extends twilio.RequestClient {
  constructor(
    timeoutMs: number,
    private readonly baseUrl?: string,
  ) {
    // The SDK retries 429s itself when autoRetry is on; leave retries to the outbox.
    super({ timeout: timeoutMs, autoRetry: false });
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    if (!this.baseUrl) return super.request(opts);
    const original = new URL(opts.uri);
    const rebased = new URL(original.pathname + original.search, this.baseUrl);
    return super.request({ ...opts, uri: rebased.href });
  }
}

/** The SDK rejects with a RestException (HTTP `status`) or an axios/network error. */
function toDeliveryError(error: unknown): DeliveryError {
  if (error instanceof twilio.RestException) {
    const status = error.status;
    // 4xx is a refusal of this message (bad number, unverified sender, bad credentials).
    const retryable = status >= 500 || status === 429 || status < 400;
    return new DeliveryError(`Twilio answered HTTP ${status}: ${error.message}`, retryable, status);
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new DeliveryError(`Twilio unreachable: ${reason}`, true);
}
