import dotenv from 'dotenv';
import { runAdmin } from './run.js';

// Same configuration as the server: the environment, then .env for anything not set there.
dotenv.config({ quiet: true });

process.exitCode = await runAdmin(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTty: Boolean(process.stderr.isTTY),
});
