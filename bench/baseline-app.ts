/**
 * The yardstick Gatehouse is measured against: bare Express 5, express-session's memory store,
 * helmet, the same EJS layout and pages, a session check in front of /manage and a password
 * sign-in that verifies the same argon2id hashes (read from the same `users` table on the same
 * Postgres server). No limits, no audit, no hash concurrency bound: the least an app can do.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import argon2 from 'argon2';
import ejs from 'ejs';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import pg from 'pg';
import { findProjectRoot } from '../src/project-root.js';

declare module 'express-session' {
  interface SessionData {
    csrf?: string;
    email?: string;
  }
}

const root = findProjectRoot(import.meta.url);
const production = process.env.NODE_ENV === 'production';
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = express();

const viewsDir = path.join(root, 'views');
app.set('view engine', 'ejs');
app.set('views', viewsDir);
// The pages include their partials from the views root ('/partials/header'), as in src/app.ts.
app.engine('ejs', (file: string, data: object, callback: (err: Error | null, html?: string) => void) => {
  ejs.renderFile(file, data as ejs.Data, { root: viewsDir, views: [viewsDir], cache: app.enabled('view cache') }, callback);
});
app.set('trust proxy', Number(process.env.TRUST_PROXY ?? 0));
app.locals.demoMode = false;
app.locals.appName = 'Gatehouse';

app.use(helmet());
app.use(express.urlencoded({ extended: false }));
app.use(
  session({
    // Passed explicitly: the memory store is the point of the baseline, not an oversight.
    store: new session.MemoryStore(),
    secret: process.env.SESSION_SECRET ?? crypto.randomBytes(32).toString('hex'),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: production },
  }),
);
app.use((req: Request, res: Response, next: NextFunction) => {
  req.session.csrf ??= crypto.randomBytes(32).toString('base64url');
  const token = req.session.csrf;
  // The views ask for the token when they render a form (as in the app).
  res.locals.csrfToken = () => token;
  res.locals.currentUser = req.session.email ? { email: req.session.email } : undefined;
  if (req.method === 'POST' && req.body?._csrf !== req.session.csrf) return void res.sendStatus(403);
  next();
});

const loginPage = (res: Response, email: string, form?: string) =>
  res.render('account/login', { title: 'Log in', email, returnUrl: '/', rememberMe: false, errors: form ? { form } : {} });

app.get('/account/login', (_req, res) => loginPage(res, ''));

app.post('/account/login', async (req, res) => {
  const email = String(req.body?.email ?? '');
  const { rows } = await pool.query<{ email: string; password_hash: string }>('select email, password_hash from users where email = $1', [
    email,
  ]);
  const user = rows[0];
  if (!user || !(await argon2.verify(user.password_hash, String(req.body?.password ?? '')))) {
    return loginPage(res, email, 'Invalid login attempt.');
  }
  await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
  req.session.email = user.email;
  res.redirect(303, '/');
});

app.get('/manage', (req, res) => {
  if (!req.session.email) return res.redirect('/account/login');
  res.render('manage/index', {
    title: 'Manage your account',
    message: undefined,
    isError: false,
    email: req.session.email,
    hasPassword: true,
    // The rest of the page's model, as a new user without phone or 2FA has it in Gatehouse.
    phoneNumber: null,
    twoFactorEnabled: false,
    browserRemembered: false,
    externalLoginCount: 0,
  });
});

const server = app.listen(Number(process.env.PORT ?? 3100), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.end().finally(() => process.exit(0));
});
