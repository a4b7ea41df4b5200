import net from 'node:net';

/**
 * Demo mode shows confirmation links, reset links and two-factor codes on the page, so whoever
 * can reach the server can take any account. It may only ever serve the machine it runs on
 * (issue 14.1): these are the rules `loadConfig` applies, and the loopback test they share.
 */

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and the name localhost: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  if (net.isIPv4(v4)) return v4.split('.')[0] === '127';
  return net.isIPv6(h) && new net.SocketAddress({ address: h, family: 'ipv6' }).address === '::1';
}

export interface DemoModeInput {
  production: boolean;
  host: string;
  /** DEMO_MODE as set: true, false, or undefined when left to the default. */
  forced: boolean | undefined;
  /** Whether demo mode is on once the default is applied. */
  demoMode: boolean;
}

export function demoModeProblems({ production, host, forced, demoMode }: DemoModeInput): string[] {
  if (production && forced === true) {
    return ['DEMO_MODE: demo mode shows codes and reset links on screen and is never allowed when NODE_ENV=production'];
  }
  if (demoMode && forced !== true && !isLoopbackHost(host)) {
    return [
      `HOST: demo mode (no email or SMS provider is set) shows every code and reset link on screen, so on HOST=${host} ` +
        'anyone who can reach this machine could take any account. Use HOST=127.0.0.1 (the default), configure a ' +
        'provider, or set DEMO_MODE=on to accept that risk',
    ];
  }
  return [];
}
