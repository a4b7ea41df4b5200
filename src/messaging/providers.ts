import type { Config } from '../config.js';
import type { EmailSender, SmsSender } from './types.js';

/*
 * The providers' SDKs are loaded only when configured: twilio and @sendgrid weigh about 20 MiB
 * of memory each, which a demo or outbox-only server never needs.
 */

/** SendGrid when SENDGRID_API_KEY is set; none means the outbox records the mail (demo mode). */
export async function emailSenderFor(config: Config): Promise<EmailSender | undefined> {
  if (!config.email.sendgridApiKey) return undefined;
  const { createSendGridEmailSender } = await import('./sendgrid-email-sender.js');
  return createSendGridEmailSender({
    apiKey: config.email.sendgridApiKey,
    from: config.email.from,
    baseUrl: config.email.sendgridBaseUrl,
    timeoutMs: config.messagingTimeoutMs,
  });
}

/** The SMS provider chosen by configuration; none means the outbox records the SMS (demo mode). */
export async function smsSenderFor(config: Config): Promise<SmsSender | undefined> {
  const timeoutMs = config.messagingTimeoutMs;
  const { twilio, aspsms } = config.sms;
  if (config.sms.provider === 'twilio' && twilio) {
    const { createTwilioSmsSender } = await import('./twilio-sms-sender.js');
    return createTwilioSmsSender({
      accountSid: twilio.accountSid,
      authToken: twilio.authToken,
      from: twilio.fromNumber,
      baseUrl: twilio.baseUrl,
      maxPrice: twilio.maxPrice,
      timeoutMs,
    });
  }
  if (config.sms.provider === 'aspsms' && aspsms) {
    const { createAspsmsSmsSender } = await import('./aspsms-sms-sender.js');
    return createAspsmsSmsSender({ ...aspsms, timeoutMs });
  }
  return undefined;
}
