import path from 'node:path';
import ejs from 'ejs';
import express from 'express';
import session from 'express-session';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { Services } from './composition.js';
import type { Config } from './config.js';
import { pingDatabase } from './db/stores/health.js';
import { serializeError } from './error-log-serializer.js';
import { findProjectRoot } from './project-root.js';
import { createCsrfProtection } from './web/middleware/csrf.js';
import { loadCurrentUser } from './web/middleware/current-user.js';
import { errorHandler, notFound } from './web/middleware/errors.js';
import { methodAsSent, noteBadlyEncodedField, refuseMalformedInput } from './web/middleware/input-boundary.js';
import { redactUrl } from './web/redact-url.js';
import { createRoutes } from './web/routes.js';
import { sessionLifetimes } from './web/session-lifetime.js';
import { hasSessionData } from './web/session-data.js';
import { KnexSessionStore } from './web/session-store.js';

const root = findProjectRoot(import.meta.url);

export interface AppHandle {
  app: express.Express;
  sessionStore: KnexSessionStore;
}

/** Builds the Express app from the services; it does not listen, so tests drive it directly. */
export function createApp(services: Services): AppHandle {
  const { config, logger, clock, users } = services;
  const production = config.production;
  const lifetimes = sessionLifetimes(config);
  const app = express();

  configureViews(app);
  configureSettings(app, config);
  if (logger.isLevelEnabled('info')) app.use(requestLogger(logger));
  app.use(securityHeaders(config));
  serveStaticFiles(app);
  app.get('/health', healthCheck(services.db.knex));
  app.use(express.urlencoded({ extended: false, limit: config.bodyLimit, parameterLimit: 100, verify: noteBadlyEncodedField }));
  app.use(express.json({ limit: config.bodyLimit }));

  const sessionStore = new KnexSessionStore(services.db.knex, services.db.rows, clock, lifetimes);
  app.use(sessionMiddleware(sessionStore, services.keys.sessionCookie, production));
  saveSessionBeforeRedirect(app);
  app.use(noStore);

  const csrf = createCsrfProtection({ appOrigin: new URL(config.appBaseUrl).origin, key: services.keys.csrf, production });
  app.use(csrf.middleware);
  app.use(loadCurrentUser(users, clock, lifetimes, (req) => sessionStore.accountLoadedWith(req)));
  // After the CSRF check (a forged POST stays a 403) and before any action: one check for every field.
  app.use(refuseMalformedInput);

  app.use(createRoutes(services, { csrf, rememberMeMs: lifetimes.rememberedAbsoluteMs }));
  app.use(notFound);
  app.use(errorHandler(logger, config.env === 'development'));
  return { app, sessionStore };
}

function configureViews(app: express.Express): void {
  app.set('view engine', 'ejs');
  const viewsDir = path.join(root, 'views');
  app.set('views', viewsDir);
  // Includes are written from the views root ('/partials/header'), which EJS resolves against
  // `root` without asking the file system: a relative include cost a file-exists check on
  // every render (8% of a signed-in page's CPU in `npm run bench`).
  app.engine('ejs', (file: string, data: object, callback: (err: Error | null, html?: string) => void) => {
    ejs.renderFile(file, data as ejs.Data, { root: viewsDir, views: [viewsDir], cache: app.enabled('view cache') }, callback);
  });
}

function configureSettings(app: express.Express, config: Config): void {
  app.set('trust proxy', config.trustProxy);
  // Pages are personal and sent with Cache-Control: no-store, so an ETag (a SHA-1 of every
  // page) would never be used. Static files keep theirs (serve-static sets its own).
  app.set('etag', false);
  app.locals.demoMode = config.demoMode;
  app.locals.appName = config.appName;
}

// Request lines are logged at info; below that level (LOG_LEVEL=warn) the middleware would
// cost every request a child logger and three listeners for nothing (errors are logged by
// the error handler either way).
function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    // One line per request, with no cookies, no query secrets and no bodies.
    serializers: {
      req: (req) => ({ method: methodAsSent(req), url: redactUrl(req.url) }),
      res: (res) => ({ statusCode: res.statusCode }),
      // pino-http sets its own error serializer; ours keeps database values out of the log.
      err: serializeError,
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
  });
}

function securityHeaders(config: Config) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        // Chrome applies form-action to the redirect after a POST: the Google button's POST
        // ends at the provider's authorization page.
        formAction: ["'self'", ...(config.google ? [new URL(config.google.authorizationUrl).origin] : [])],
        ...(config.production ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    // same-origin: other sites never see our URLs, and our own form posts keep their Origin
    // header for the CSRF origin check. Pages with a token in the URL use no-referrer.
    referrerPolicy: { policy: 'same-origin' },
  });
}

// Mounted under /css only: a static handler at the root would cost every page a file-system
// look-up (about 5% of a signed-in page's CPU in `npm run bench`).
function serveStaticFiles(app: express.Express): void {
  app.use('/css', express.static(path.join(root, 'node_modules/bootstrap/dist/css'), { maxAge: '1d' }));
  app.use('/css', express.static(path.join(root, 'public/css'), { maxAge: '1h' }));
}

function healthCheck(knex: Services['db']['knex']): express.RequestHandler {
  return async (_req, res) => {
    try {
      await pingDatabase(knex);
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    }
  };
}

function sessionMiddleware(store: KnexSessionStore, secret: string, production: boolean) {
  return session({
    name: production ? '__Host-gatehouse' : 'gatehouse.sid',
    secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    // Not 'destroy': express-session also "unsets" the session when reading it failed, and
    // would then delete it, signing the user out over one failed query. Sign-out regenerates.
    unset: 'keep',
    cookie: { httpOnly: true, sameSite: 'lax', secure: production, path: '/' },
  });
}

// express-session writes a changed session as the response ends, after a redirect's headers
// (which browsers follow at once) have gone out: save before redirecting, so the next request
// finds the new session (a sign-in, a pending two-factor step). Empty sessions are not stored.
// Set once on this app's response prototype rather than wrapped per request.
function saveSessionBeforeRedirect(app: express.Express): void {
  const redirect = app.response.redirect as (this: express.Response, ...args: unknown[]) => void;
  app.response.redirect = function (this: express.Response, ...args: unknown[]) {
    const req = this.req;
    if (!hasSessionData(req)) return redirect.apply(this, args);
    req.session.save((err) => (err ? req.next!(err) : redirect.apply(this, args)));
  } as typeof app.response.redirect;
}

// Account pages are personal: never cached by the browser or a proxy.
function noStore(_req: express.Request, res: express.Response, next: express.NextFunction): void {
  res.set('Cache-Control', 'no-store');
  next();
}
