import 'dotenv/config';
import { createApp } from './app.js';
import { createServices } from './composition.js';
import { ConfigError } from './config.js';
import { DataDirLockedError } from './db/data-dir-lock.js';
import { loadConfigAndLogFormat } from './log-format.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';

try {
  // Readable lines for a person at a terminal, JSON lines for anything that parses them.
  const { config, logFormat } = loadConfigAndLogFormat(process.env, Boolean(process.stdout.isTTY));
  const logger = createLogger({ level: config.logLevel, format: logFormat });
  const services = await createServices(config, { logger });
  const { app, sessionStore } = createApp(services);
  await startServer({ app, services, sessionStore });
} catch (err) {
  if (err instanceof ConfigError || err instanceof DataDirLockedError) {
    console.error(`Gatehouse cannot start: ${err.message}`);
  } else {
    console.error('Gatehouse cannot start:', err);
  }
  process.exit(1);
}
