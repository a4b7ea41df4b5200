import { parseJson, startRecordingServer, type RecordedRequest, type RecordingServer } from './recording-server.js';

/** The parsed JSON (UserName, Password, Originator, Recipients, MessageText), or raw text. */
export type RecordedAspsmsRequest = RecordedRequest<unknown>;
/**
 * ASPSMS reports most refusals as HTTP 200 with another StatusCode, e.g.
 * `respondWith(200, { StatusCode: '3', StatusInfo: 'Authorization failed' })`.
 */
export type FakeAspsms = RecordingServer<unknown>;

/** A loopback stand-in for json.aspsms.com's `POST /SendSimpleTextSMS`. */
export function startFakeAspsms(): Promise<FakeAspsms> {
  return startRecordingServer({
    parseBody: parseJson,
    reply: (_request, plan) => plan ?? { status: 200, body: { StatusCode: '1', StatusInfo: 'OK' } },
  });
}
