import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedTwilioRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The form fields (To, From, Body…) of the urlencoded body. */
  body: Record<string, string>;
}

export interface FakeTwilio {
  baseUrl: string;
  requests: RecordedTwilioRequest[];
  /** Answer the next request with this instead of 201; calls queue up, one per request. */
  respondWith(status: number, body?: unknown): void;
  /** Never answer the next request, to test timeouts; queues like respondWith. */
  hang(): void;
  close(): Promise<void>;
}

type Plan = { status: number; body?: unknown } | 'hang';

/** A loopback stand-in for api.twilio.com's `POST /2010-04-01/Accounts/{sid}/Messages.json`. */
export async function startFakeTwilio(): Promise<FakeTwilio> {
  const requests: RecordedTwilioRequest[] = [];
  const plans: Plan[] = [];

  const server = createServer(async (req, res) => {
    const recorded = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: Object.fromEntries(new URLSearchParams(await readBody(req))),
    };
    requests.push(recorded);
    const plan = plans.shift() ?? { status: 201 };
    if (plan === 'hang') return;
    const body = plan.body ?? (plan.status === 201 ? messageResource(recorded) : errorBody(plan.status));
    res.writeHead(plan.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    respondWith: (status, body) => void plans.push({ status, body }),
    hang: () => void plans.push('hang'),
    close: () => {
      server.closeAllConnections(); // also ends hung requests and keep-alive sockets
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
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

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
