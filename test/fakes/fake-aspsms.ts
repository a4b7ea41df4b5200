import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedAspsmsRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON (UserName, Password, Originator, Recipients, MessageText), or raw text. */
  body: unknown;
}

export interface FakeAspsms {
  baseUrl: string;
  requests: RecordedAspsmsRequest[];
  /**
   * Answer the next request with this instead of 200 OK; calls queue up, one per request.
   * ASPSMS reports most refusals as HTTP 200 with another StatusCode, e.g.
   * `respondWith(200, { StatusCode: '3', StatusInfo: 'Authorization failed' })`.
   */
  respondWith(status: number, body?: unknown): void;
  /** Never answer the next request, to test timeouts; queues like respondWith. */
  hang(): void;
  close(): Promise<void>;
}

type Plan = { status: number; body?: unknown } | 'hang';

/** A loopback stand-in for json.aspsms.com's `POST /SendSimpleTextSMS`. */
export async function startFakeAspsms(): Promise<FakeAspsms> {
  const requests: RecordedAspsmsRequest[] = [];
  const plans: Plan[] = [];

  const server = createServer(async (req, res) => {
    requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: parseJson(await readBody(req)),
    });
    const plan = plans.shift() ?? { status: 200, body: { StatusCode: '1', StatusInfo: 'OK' } };
    if (plan === 'hang') return;
    if (plan.body === undefined) {
      res.writeHead(plan.status).end();
      return;
    }
    res.writeHead(plan.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(plan.body));
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
