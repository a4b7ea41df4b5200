import { randomBytes } from 'node:crypto';
import { startRecordingServer, type RecordedRequest, type RecordingServer } from './recording-server.js';

/** The form fields (To, From, Body…) of the urlencoded body. */
export type RecordedTwilioRequest = RecordedRequest<Record<string, string>>;
export type FakeTwilio = RecordingServer<Record<string, string>>;

/** A loopback stand-in for api.twilio.com's `POST /2010-04-01/Accounts/{sid}/Messages.json`. */
export function startFakeTwilio(): Promise<FakeTwilio> {
  return startRecordingServer({
    parseBody: (text) => Object.fromEntries(new URLSearchParams(text)),
    reply(request, plan) {
      const status = plan?.status ?? 201;
      return { status, body: plan?.body ?? (status === 201 ? messageResource(request) : errorBody(status)) };
    },
  });
}

/** The fields of Twilio's Message resource that callers look at, as a fresh message has them. */
function messageResource(request: RecordedTwilioRequest) {
  const accountSid = /\/Accounts\/([^/]+)\//.exec(request.path)?.[1] ?? '';
  const sid = `SM${randomBytes(16).toString('hex')}`;
  const now = new Date().toUTCString();
  return {
    sid,
    account_sid: accountSid,
    to: request.body.To,
    from: request.body.From,
    body: request.body.Body,
    status: 'queued',
    direction: 'outbound-api',
    num_segments: '1',
    api_version: '2010-04-01',
    date_created: now,
    date_updated: now,
    date_sent: null,
    error_code: null,
    error_message: null,
    uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
  };
}

/** Twilio's error shape; 21211 is "invalid To number", the usual 400. */
function errorBody(status: number) {
  const code = status === 400 ? 21211 : status === 401 ? 20003 : 20500;
  return {
    code,
    message: `fake Twilio error ${code}`,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  };
}
