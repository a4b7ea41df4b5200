import 'dotenv/config';
import { createApp } from './app.js';
import { createServices } from './composition.js';
import { ConfigError, loadConfig, type Config, type Env } from './config.js';
import { DataDirLockedError } from './db/data-dir-lock.js';
import { chooseLogFormat, createLogger, logFormatProblems } from './logger.js';
import { startServer } from './server.js';

/** The configuration, with a bad LOG_FORMAT reported together with every other bad variable. */
function loadSettings(env: Env): Config {
  const logFormat = logFormatProblems(env.LOG_FORMAT);
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    throw err instanceof ConfigError ? new ConfigError([...err.problems, ...logFormat]) : err;
  }
  if (logFormat.length) throw new ConfigError(logFormat);
  return config;
}

try {
  const config = loadSettings(process.env);
  // Readable lines for a person at a terminal, JSON lines for anything that parses them.
  const logger = createLogger({ level: config.logLevel, format: chooseLogFormat(process.env.LOG_FORMAT, Boolean(process.stdout.isTTY)) });
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
