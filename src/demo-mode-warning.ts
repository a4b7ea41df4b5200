import type { Logger } from 'pino';

/**
 * Demo mode on an address other machines can reach, accepted with DEMO_MODE=on: said once in
 * the log (for whoever reads logs) and once as a plain banner on stderr (for whoever watches
 * the terminal), because anyone who can reach the server can take any account.
 */
export function warnDemoModeExposed(logger: Logger, host: string, port: number): void {
  const risk = `demo mode is reachable from other machines on ${host}:${port}: it shows every confirmation link, reset link and sign-in code on screen, so anyone who can reach it can take any account`;
  logger.warn({ host, port, demoMode: true }, risk);
  const line = '!'.repeat(78);
  process.stderr.write(`\n${line}\n!! WARNING: ${risk}.\n!! Set HOST=127.0.0.1 or configure an email and SMS provider.\n${line}\n\n`);
}
