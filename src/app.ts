import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import session from 'express-session';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Services } from './composition.js';
import { createCsrfProtection } from './web/middleware/csrf.js';
import { loadCurrentUser } from './web/middleware/current-user.js';
import { errorHandler, notFound } from './web/middleware/errors.js';
import { redactUrl } from './web/redact-url.js';
import { createRoutes } from './web/routes.js';
import { KnexSessionStore } from './web/session-store.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface AppHandle {
  app: express.Express;
  sessionStore: KnexSessionStore;
}

/** Builds the Express app from the services; it does not listen, so tests drive it directly. */
export function createApp(services: Services): AppHandle {
  const { config, logger, clock, users } = services;
  const production = config.env === 'production';
  const idleMs = config.sessionIdleMinutes * 60_000;
  const absoluteMs = config.sessionAbsoluteHours * 3_600_000;
  const app = express();

  app.set('view engine', 'ejs');
  app.set('views', path.join(root, 'views'));
  app.set('trust proxy', config.trustProxy);
  app.locals.demoMode = config.demoMode;
  app.locals.appName = 'Gatehouse';

  app.use(
    pinoHttp({
      logger,
      // One line per request, with no cookies, no query secrets and no bodies.
      serializers: {
        req: (req) => ({ method: req.method, url: redactUrl(req.url) }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    }),
  );
  app.use(
    helmet({
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
          ...(production ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
      // same-origin: other sites never see our URLs, and our own form posts keep their Origin
      // header for the CSRF origin check. Pages with a token in the URL use no-referrer.
      referrerPolicy: { policy: 'same-origin' },
    }),
  );

  // Mounted under /css only: a static handler at the root would cost every page a file-system
  // look-up (about 5% of a signed-in page's CPU in `npm run bench`).
  app.use('/css', express.static(path.join(root, 'node_modules/bootstrap/dist/css'), { maxAge: '1d' }));
  app.use('/css', express.static(path.join(root, 'public/css'), { maxAge: '1h' }));

  app.get('/health', async (_req, res) => {
    try {
      await services.db.knex.raw('select 1');
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    }
  });

  app.use(express.urlencoded({ extended: false, limit: config.bodyLimit, parameterLimit: 100 }));
  app.use(express.json({ limit: config.bodyLimit }));

  const sessionStore = new KnexSessionStore(services.db.knex, clock, idleMs);
  app.use(
    session({
      name: production ? '__Host-gatehouse' : 'gatehouse.sid',
      secret: services.keys.sessionCookie,
      store: sessionStore,
      resave: false,
      saveUninitialized: false,
      rolling: false,
      // Not 'destroy': express-session also "unsets" the session when reading it failed, and
      // would then delete it, signing the user out over one failed query. Sign-out regenerates.
      unset: 'keep',
      cookie: { httpOnly: true, sameSite: 'lax', secure: production, path: '/' },
    }),
  );
  // express-session writes a changed session as the response ends, after a redirect's headers
  // (which browsers follow at once) have gone out: save before redirecting, so the next request
  // finds the new session (a sign-in, a pending two-factor step). Empty sessions are not stored.
  app.use((req, res, next) => {
    const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
    res.redirect = ((...args: unknown[]) => {
      const keys = req.session ? Object.keys(req.session).filter((k) => k !== 'cookie') : [];
      if (!keys.length) return redirect(...args);
      req.session.save((err) => (err ? next(err) : redirect(...args)));
    }) as typeof res.redirect;
    next();
  });
  app.use((_req, res, next) => {
    // Account pages are personal: never cached by the browser or a proxy.
    res.set('Cache-Control', 'no-store');
    next();
  });

  const csrf = createCsrfProtection(new URL(config.appBaseUrl).origin);
  app.use(csrf.exposeToken);
  app.use(csrf.protect);
  app.use(loadCurrentUser(users, clock, absoluteMs, (req) => sessionStore.accountLoadedWith(req)));

  app.use(createRoutes(services, { csrf, absoluteMs }));
  app.use(notFound);
  app.use(errorHandler(logger, config.env === 'development'));
  return { app, sessionStore };
}
