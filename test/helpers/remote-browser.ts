import request from 'supertest';
import { confirmByButton, csrfFrom, demoLinkFrom, localPath, PASSWORD } from './setup.js';

/** A browser (cookie jar) talking to an app running as a separate process. */
export type RemoteBrowser = ReturnType<typeof request.agent>;

export const remoteBrowser = (baseUrl: string): RemoteBrowser => request.agent(baseUrl);

/** What the client saw: a status, or a broken connection; and how long it waited. */
export interface Outcome {
  status: number | 'no answer';
  ms: number;
  text: string;
  location?: string;
  error?: string;
}

/** Sends a request and records the outcome instead of throwing; gives up after `deadlineMs`. */
export async function outcomeOf(req: request.Test, deadlineMs = 15_000): Promise<Outcome> {
  const started = Date.now();
  try {
    const res = await req.timeout({ deadline: deadlineMs }).ok(() => true);
    return { status: res.status, ms: Date.now() - started, text: res.text, location: res.headers.location };
  } catch (err) {
    return { status: 'no answer', ms: Date.now() - started, text: '', error: String(err) };
  }
}

/** Opens a form page; the browser's session now holds the CSRF token the form carries. */
export async function openForm(browser: RemoteBrowser, path: string): Promise<string> {
  return csrfFrom((await browser.get(path)).text);
}

/** Posts a form opened earlier with `openForm` (no page load: the database may be down by now). */
export const submit = (browser: RemoteBrowser, path: string, csrf: string, fields: Record<string, string>) =>
  browser
    .post(path)
    .type('form')
    .send({ ...fields, _csrf: csrf });

export const registration = (email: string, password = PASSWORD) => ({ email, password, confirmPassword: password });

/** Registers and confirms through the pages of a demo-mode app; returns the email. */
export async function registerConfirmedRemote(baseUrl: string, email: string, password = PASSWORD): Promise<string> {
  const browser = remoteBrowser(baseUrl);
  const res = await submit(browser, '/account/register', await openForm(browser, '/account/register'), registration(email, password));
  if (res.status !== 200) throw new Error(`register failed: ${res.status}`);
  const confirmed = await confirmByButton(browser, localPath(demoLinkFrom(res.text)));
  if (confirmed.status !== 200) throw new Error(`confirm failed: ${confirmed.status}`);
  return email;
}

/** A browser signed in to the app process. */
export async function signedInRemote(baseUrl: string, email: string, password = PASSWORD): Promise<RemoteBrowser> {
  const browser = remoteBrowser(baseUrl);
  const res = await submit(browser, '/account/login', await openForm(browser, '/account/login'), { email, password });
  if (res.status !== 303) throw new Error(`sign-in failed: ${res.status}`);
  return browser;
}
