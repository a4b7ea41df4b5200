import autocannon from 'autocannon';

export const CONNECTIONS = 50;

/**
 * Both apps run in production mode behind a pretend TLS proxy: with `trust proxy` and this
 * header their session cookies are Secure, as deployed, and still sent over plain http here.
 */
export const PROXY_HEADERS = { 'x-forwarded-proto': 'https' };

type Headers = Record<string, string | string[] | undefined>;
interface SignInContext {
  cookie?: string;
  csrf?: string;
}

/** The `name=value` part of the session cookie a response sets, if any. */
export function sessionCookie(headers: Headers | Headers[string] | undefined): string | undefined {
  if (!headers || typeof headers !== 'object' || Array.isArray(headers)) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === 'set-cookie');
  const value = key ? headers[key] : undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first?.split(';')[0];
}

export const csrfTokenIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** Signs one user in with plain fetch and returns the signed-in session cookie. */
export async function signIn(url: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${url}/account/login`, { headers: PROXY_HEADERS });
  const cookie = sessionCookie(Object.fromEntries([['set-cookie', page.headers.getSetCookie()]]));
  const csrf = csrfTokenIn(await page.text());
  if (!cookie || !csrf) throw new Error(`${url}: no session cookie or CSRF token on the login page`);
  const response = await fetch(`${url}/account/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...PROXY_HEADERS, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: form({ _csrf: csrf, email, password }),
  });
  if (response.status !== 303 || response.headers.getSetCookie().length === 0)
    throw new Error(`${url}: sign-in of ${email} answered ${response.status}`);
  // Like a browser, keep every cookie the sign-in sets (the session cookie need not be the
  // first) and what the first signed-in page sets too (Gatehouse's sign-in device cookie):
  // without them every measured request would be a first visit.
  const jar = new Map<string, string>();
  const keep = (setCookies: string[]) => {
    for (const pair of setCookies.map((c) => c.split(';')[0])) {
      const name = pair.slice(0, pair.indexOf('='));
      if (pair.length > name.length + 1) jar.set(name, pair);
      else jar.delete(name); // an empty value clears the cookie, as a browser does
    }
  };
  keep(response.headers.getSetCookie());
  const firstPage = await fetch(`${url}/manage`, { headers: { ...PROXY_HEADERS, cookie: [...jar.values()].join('; ') } });
  await firstPage.arrayBuffer();
  if (firstPage.status !== 200) throw new Error(`${url}: the first signed-in page of ${email} answered ${firstPage.status}`);
  keep(firstPage.headers.getSetCookie());
  return [...jar.values()].join('; ');
}

export interface LoadResult {
  /** Successful responses per second. */
  requestsPerSecond: number;
  /** Every response, of any status (a sign-in is two: the form and the post). */
  responses: number;
  p99LatencyMs: number;
  /** Responses with the status that means success (200 for pages, 303 for sign-ins). */
  successes: number;
  /** Everything else, including connection errors. */
  failures: number;
  durationSeconds: number;
}

function summarise(result: autocannon.Result, successStatus: number, attempts: number): LoadResult {
  const successes = result.statusCodeStats?.[`${successStatus}`]?.count ?? 0;
  return {
    requestsPerSecond: successes / result.duration,
    responses: result.requests.total,
    p99LatencyMs: result.latency.p99,
    successes,
    failures: attempts - successes + result.errors,
    durationSeconds: result.duration,
  };
}

/** Signed-in `GET /manage`, each request on the next of the given sessions (one per user). */
export async function manageLoad(url: string, cookies: string[], seconds: number): Promise<LoadResult> {
  let next = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: PROXY_HEADERS,
    requests: [
      {
        method: 'GET',
        path: '/manage',
        setupRequest: (request) => ({ ...request, headers: { ...request.headers, cookie: cookies[next++ % cookies.length] } }),
      },
    ],
  });
  return summarise(result, 200, result.requests.total);
}

/**
 * Password sign-ins as fast as the app takes them: every connection loads the login page (for
 * its session cookie and CSRF token), then posts the right password for the next user.
 * Only a 303 counts as a sign-in.
 */
export async function signInLoad(url: string, emails: string[], password: string, seconds: number): Promise<LoadResult> {
  let next = 0;
  let posts = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: PROXY_HEADERS,
    requests: [
      {
        method: 'GET',
        path: '/account/login',
        onResponse: (_status, body, context, headers) => {
          const c = context as SignInContext;
          c.cookie = sessionCookie(headers);
          c.csrf = csrfTokenIn(body);
        },
      },
      {
        method: 'POST',
        path: '/account/login',
        setupRequest: (request, context) => {
          const c = context as SignInContext;
          return {
            ...request,
            headers: { ...request.headers, cookie: c.cookie ?? '', 'content-type': 'application/x-www-form-urlencoded' },
            body: form({ _csrf: c.csrf ?? '', email: emails[next++ % emails.length], password }),
          };
        },
        onResponse: () => void posts++,
      },
    ],
  });
  return summarise(result, 303, posts);
}
