import { randomBytes } from 'node:crypto';
import { parseJson, startRecordingServer, type RecordedRequest, type RecordingServer } from './recording-server.js';

/** The parsed JSON mail (personalizations, from, subject, content), or the raw text. */
export type RecordedSendGridRequest = RecordedRequest<unknown>;
export type FakeSendGrid = RecordingServer<unknown>;

/** A loopback stand-in for api.sendgrid.com's `POST /v3/mail/send`. */
export function startFakeSendGrid(): Promise<FakeSendGrid> {
  return startRecordingServer({
    parseBody: parseJson,
    reply(_request, plan) {
      // Like SendGrid: accepted, no body, the message id in a header.
      if (!plan || plan.status === 202) {
        return { status: 202, headers: { 'X-Message-Id': randomBytes(11).toString('base64url') } };
      }
      return {
        status: plan.status,
        body: plan.body ?? { errors: [{ message: 'fake SendGrid error', field: null, help: null }] },
      };
    },
  });
}
