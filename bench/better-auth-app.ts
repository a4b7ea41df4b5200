/**
 * The peer: the app a Gatehouse user could build instead with Better Auth (bench/better-auth.ts)
 * on Express 5, with helmet and the same EJS layout and pages. Sign-in is the same form post as
 * in the other two apps, handed to Better Auth's own `signInEmail`; /manage asks Better Auth for
 * the session (its defaults: a database read per request, no cookie cache) and renders the page.
 * The login form carries a signed double-submit token, as Gatehouse's anonymous pages do.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { APIError } from 'better-auth';
import { fromNodeHeaders, toNodeHandler } from 'better-auth/node';
import ejs from 'ejs';
import express, { type Request, type Response } from 'express';
import helmet from 'helmet';
import { findProjectRoot } from '../src/project-root.js';
import { createBetterAuth } from './better-auth.js';

const port = Number(process.env.PORT ?? 3200);
const secret = process.env.SESSION_SECRET ?? crypto.randomBytes(32).toString('hex');
const auth = createBetterAuth(process.env.DATABASE_URL ?? '', secret, `https://127.0.0.1:${port}`);
const app = express();

const viewsDir = path.join(findProjectRoot(import.meta.url), 'views');
app.set('view engine', 'ejs');
app.set('views', viewsDir);
app.engine('ejs', (file: string, data: object, callback: (err: Error | null, html?: string) => void) => {
  ejs.renderFile(file, data as ejs.Data, { root: viewsDir, views: [viewsDir], cache: app.enabled('view cache') }, callback);
});
app.set('trust proxy', Number(process.env.TRUST_PROXY ?? 0));
app.locals.demoMode = false;
app.locals.appName = 'Gatehouse';

app.use(helmet());
// Better Auth's own HTTP API, mounted as its documentation says: before any body parser.
app.all('/api/auth/*splat', toNodeHandler(auth));
app.use(express.urlencoded({ extended: false }));

const CSRF_COOKIE = '__Host-csrf';
const csrfToken = (value: string) => crypto.createHmac('sha256', secret).update(value).digest('base64url');
const cookieValue = (req: Request, name: string) =>
  req.headers.cookie
    ?.split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${name}=`))
    ?.slice(name.length + 1);

function loginPage(req: Request, res: Response, email: string, form?: string) {
  let value = cookieValue(req, CSRF_COOKIE);
  if (!value) {
    value = crypto.randomBytes(32).toString('base64url');
    res.cookie(CSRF_COOKIE, value, { httpOnly: true, secure: true, sameSite: 'lax', path: '/' });
  }
  const token = csrfToken(value);
  res.locals.csrfToken = () => token;
  res.render('account/login', { title: 'Log in', email, returnUrl: '/', rememberMe: false, errors: form ? { form } : {} });
}

app.get('/account/login', (req, res) => loginPage(req, res, ''));

app.post('/account/login', async (req, res) => {
  const value = cookieValue(req, CSRF_COOKIE);
  const sent = Buffer.from(String(req.body?._csrf ?? ''));
  const expected = Buffer.from(value ? csrfToken(value) : '');
  if (!value || sent.length !== expected.length || !crypto.timingSafeEqual(sent, expected)) return void res.sendStatus(403);
  const email = String(req.body?.email ?? '');
  try {
    const { headers } = await auth.api.signInEmail({
      body: { email, password: String(req.body?.password ?? '') },
      headers: fromNodeHeaders(req.headers),
      returnHeaders: true,
    });
    res.append('set-cookie', headers.getSetCookie());
    res.redirect(303, '/');
  } catch (err) {
    if (!(err instanceof APIError)) throw err;
    loginPage(req, res, email, 'Invalid login attempt.');
  }
});

app.get('/manage', async (req, res) => {
  const session = await auth.api.getSession({ headers: fromNodeHeaders(req.headers) });
  if (!session) return res.redirect('/account/login');
  const token = csrfToken(session.session.id);
  res.locals.csrfToken = () => token;
  res.locals.currentUser = { email: session.user.email };
  res.render('manage/index', {
    title: 'Manage your account',
    message: undefined,
    isError: false,
    email: session.user.email,
    hasPassword: true,
    // The rest of the page's model, as a new user without phone or 2FA has it in Gatehouse.
    phoneNumber: null,
    twoFactorEnabled: false,
    browserRemembered: false,
    externalLoginCount: 0,
  });
});

const server = app.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
