import http from 'node:http';
import type { Express } from 'express';
import type { Services } from './composition.js';
import { databaseLabel } from './database-label.js';
import { warnDemoModeExposed } from './demo-mode-warning.js';
import { housekeepingTasks, startHousekeeping } from './housekeeping.js';
import type { KnexSessionStore } from './web/session-store.js';

/** A host to put in a URL a person can open: loopback and "every interface" both read as localhost. */
function browsableHost(boundTo: string): string {
  if (boundTo === '0.0.0.0' || boundTo === '::' || boundTo === '::1' || boundTo.startsWith('127.')) return 'localhost';
  return boundTo.includes(':') ? `[${boundTo}]` : boundTo;
}

/**
 * The one line a person starting the server reads first: where, on which data, and whether
 * codes are shown on screen. The same fields stay in the JSON line for whoever parses it.
 */
function announceStart(server: http.Server, { config, logger, db }: Services): void {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // The address the socket is bound to, as the OS reports it (127.0.0.1 unless HOST says otherwise).
  const boundTo = typeof address === 'object' && address ? address.address : config.host;
  const url = `http://${browsableHost(boundTo)}:${port}`;
  const databaseAt = databaseLabel(config);
  logger.info(
    { port, address: boundTo, url, database: db.kind, databaseAt, demoMode: config.demoMode },
    `Gatehouse listening on ${url} (${databaseAt}, ${config.demoMode ? 'demo mode' : 'demo mode off'})`,
  );
  if (config.demoModeExposed) warnDemoModeExposed(logger, boundTo, port);
}

export interface ServerParts {
  app: Express;
  services: Services;
  sessionStore: KnexSessionStore;
}

/**
 * Listens, and on SIGTERM or SIGINT stops accepting, lets in-flight requests finish, drains the
 * outbox, closes the database and exits 0.
 */
export async function startServer({ app, services, sessionStore }: ServerParts): Promise<http.Server> {
  const { config, logger, outbox } = services;
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  outbox.start();
  outbox.kick();
  const housekeeping = startHousekeeping(housekeepingTasks(services, sessionStore), logger);
  announceStart(server, services);

  // Once stopping, every response closes its connection: keep-alive clients take their next
  // request elsewhere, and the process ends right after the last one instead of waiting out
  // the idle timeout. Responses still being prepared are found here.
  let stopping = false;
  const preparing = new Set<http.ServerResponse>();
  server.prependListener('request', (_req, res: http.ServerResponse) => {
    if (stopping) res.setHeader('Connection', 'close');
    preparing.add(res);
    res.once('close', () => preparing.delete(res));
  });

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    for (const res of preparing) if (!res.headersSent) res.setHeader('Connection', 'close');
    housekeeping.stop();
    server.close();
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), 10_000);
    force.unref();
    await new Promise<void>((resolve) => server.once('close', () => resolve()));
    await services.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return server;
}
