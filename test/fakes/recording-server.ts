import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest<Body> {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Body;
}

/** What the next request gets: a status and body queued by the test, or nothing planned. */
export interface Plan {
  status: number;
  body?: unknown;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Sent as JSON; no body at all when undefined. */
  body?: unknown;
}

export interface RecordingServer<Body> {
  baseUrl: string;
  requests: Array<RecordedRequest<Body>>;
  /** Answer the next request with this instead of the usual answer; calls queue up. */
  respondWith(status: number, body?: unknown): void;
  /** Never answer the next request, to test timeouts; queues like respondWith. */
  hang(): void;
  close(): Promise<void>;
}

/**
 * The shared part of every fake provider: a loopback HTTP server that records each request,
 * parsed by the fake, and answers as the fake decides, or as the test planned it.
 */
export async function startRecordingServer<Body>(fake: {
  parseBody(text: string): Body;
  reply(request: RecordedRequest<Body>, plan: Plan | undefined): Reply;
}): Promise<RecordingServer<Body>> {
  const requests: Array<RecordedRequest<Body>> = [];
  const plans: Array<Plan | 'hang'> = [];

  const server = createServer(async (req, res) => {
    const recorded = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: fake.parseBody(await readBody(req)),
    };
    requests.push(recorded);
    const plan = plans.shift();
    if (plan === 'hang') return;
    const reply = fake.reply(recorded, plan);
    if (reply.body === undefined) {
      res.writeHead(reply.status, reply.headers).end();
      return;
    }
    res.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers }).end(JSON.stringify(reply.body));
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

/** The parsed JSON, the raw text when it is not JSON, or undefined when empty. */
export function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
