import { DeliveryError, type SmsMessage, type SmsSender } from './types.js';

export interface AspsmsSmsSenderOptions {
  userKey: string;
  password: string;
  /** E.164 number or up to 11 letters, as unlocked in the ASPSMS account. */
  originator: string;
  baseUrl?: string;
  timeoutMs: number;
}

/**
 * ASPSMS answers HTTP 200 with its own StatusCode ("1" = OK). These are the codes that describe
 * a passing fault on their side (connect failed, time out, transmission error, service
 * temporarily unavailable); every other code (credentials, credits, originator, recipient)
 * needs a person to fix something, so retrying would only repeat the refusal.
 */
const TRANSIENT_STATUS_CODES = new Set(['2', '6', '7', '24']);

/** Sends SMS through the ASPSMS JSON API (https://json.aspsms.com/). No SDK exists for Node. */
export function createAspsmsSmsSender(options: AspsmsSmsSenderOptions): SmsSender {
  const url = `${options.baseUrl ?? 'https://json.aspsms.com'}/SendSimpleTextSMS`;

  return {
    name: 'aspsms',
    async send(message: SmsMessage): Promise<void> {
      const response = await post(url, options.timeoutMs, {
        UserName: options.userKey,
        Password: options.password,
        Originator: options.originator,
        Recipients: [message.to],
        MessageText: message.body,
      });
      if (!response.ok) {
        await response.body?.cancel();
        // 4xx: the API refused the request itself; the same request will be refused again.
        const retryable = response.status >= 500 || response.status === 429;
        throw new DeliveryError(`ASPSMS answered HTTP ${response.status}`, retryable, response.status);
      }
      const result = await readResult(response);
      if (result.StatusCode !== '1') {
        throw new DeliveryError(
          `ASPSMS refused the message: ${result.StatusCode} ${result.StatusInfo}`,
          TRANSIENT_STATUS_CODES.has(result.StatusCode),
          response.status,
        );
      }
    },
  };
}

async function post(url: string, timeoutMs: number, body: unknown): Promise<Response> {
  try {
    return await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      // Covers connecting, waiting and reading headers: a silent provider cannot hold the worker.
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DeliveryError(`ASPSMS unreachable: ${reason}`, true);
  }
}

interface AspsmsResult {
  StatusCode: string;
  StatusInfo: string;
}

/**
 * The body can still time out or be garbled (a proxy's error page). Retrying may send the
 * code twice, which is better than a user who never receives it.
 */
async function readResult(response: Response): Promise<AspsmsResult> {
  try {
    const json = (await response.json()) as Partial<Record<keyof AspsmsResult, unknown>>;
    return { StatusCode: String(json.StatusCode), StatusInfo: String(json.StatusInfo ?? '') };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DeliveryError(`ASPSMS sent an unreadable answer: ${reason}`, true, response.status);
  }
}
