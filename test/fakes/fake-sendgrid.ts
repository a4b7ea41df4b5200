import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedSendGridRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON mail (personalizations, from, subject, content), or the raw text. */
  body: unknown;
}

export interface FakeSendGrid {
  baseUrl: string;
  requests: RecordedSendGridRequest[];
  /** Answer the next request with this instead of 202; calls queue up, one per request. */
  respondWith(status: number, body?: unknown): void;
  /** Never answer the next request, to test timeouts; queues like respondWith. */
  hang(): void;
  close(): Promise<void>;
}

type Plan = { status: number; body?: unknown } | 'hang';

/** A loopback stand-in for api.sendgrid.com's `POST /v3/mail/send`. */
export async function startFakeSendGrid(): Promise<FakeSendGrid> {
  const requests: RecordedSendGridRequest[] = [];
  const plans: Plan[] = [];

  const server = createServer(async (req, res) => {
    requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: parseJson(await readBody(req)),
    });
    const plan = plans.shift() ?? { status: 202 };
    if (plan === 'hang') return;
    if (plan.status === 202) {
      // Like SendGrid: accepted, no body, the message id in a header.
      res.writeHead(202, { 'X-Message-Id': randomBytes(11).toString('base64url') }).end();
      return;
    }
    const body = plan.body ?? { errors: [{ message: 'fake SendGrid error', field: null, help: null }] };
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

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
