import 'dotenv/config';
import { createApp } from './app.js';
import { createServices } from './composition.js';
import { ConfigError, loadConfig } from './config.js';
import { DataDirLockedError } from './db/data-dir-lock.js';
import { startServer } from './server.js';

try {
  const config = loadConfig(process.env);
  const services = await createServices(config);
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
