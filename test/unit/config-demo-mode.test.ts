import { describe, expect, it } from 'vitest';
import { problemsOf, production } from '../helpers/config.js';
import { isLoopbackHost } from '../../src/config-demo-mode.js';
import { loadConfig } from '../../src/config.js';

// Issue 14.1: demo mode (codes and links on screen) must only ever serve the machine it runs on.

describe('HOST and demo mode', () => {
  it('binds to 127.0.0.1 by default in development and test, and to HOST when set', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({ NODE_ENV: 'test' }).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '  ' }).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '::1' }).host).toBe('::1');
  });

  it('in production binds where HOST says (all interfaces when unset) and never has demo mode', () => {
    expect(loadConfig(production)).toMatchObject({ host: '0.0.0.0', demoMode: false, demoModeExposed: false });
    expect(loadConfig({ ...production, HOST: '10.0.0.5' }).host).toBe('10.0.0.5');
    expect(loadConfig({ ...production, DEMO_MODE: 'off' }).demoMode).toBe(false);
  });

  it('refuses DEMO_MODE=on (or true) in production, naming the variable', () => {
    for (const DEMO_MODE of ['on', 'true', '1', 'yes']) {
      const problems = problemsOf({ ...production, DEMO_MODE });
      expect(problems, DEMO_MODE).toHaveLength(1);
      expect(problems[0]).toMatch(/^DEMO_MODE: .*never allowed when NODE_ENV=production/);
    }
  });

  it('refuses demo mode on an address other machines can reach, naming HOST and the way out', () => {
    for (const HOST of ['0.0.0.0', '::', '192.0.2.2', 'fd00::2', 'gatehouse.example']) {
      const problems = problemsOf({ HOST });
      expect(problems, HOST).toHaveLength(1);
      expect(problems[0]).toMatch(/^HOST: demo mode .*anyone who can reach this machine could take any account/);
      expect(problems[0]).toContain('HOST=127.0.0.1');
      expect(problems[0]).toContain('DEMO_MODE=on');
    }
  });

  it('allows a reachable demo mode only when DEMO_MODE=on (or true) is set explicitly, and flags it for the warning', () => {
    for (const DEMO_MODE of ['on', 'true']) {
      expect(loadConfig({ HOST: '0.0.0.0', DEMO_MODE })).toMatchObject({ demoMode: true, demoModeExposed: true, host: '0.0.0.0' });
    }
    expect(loadConfig({ DEMO_MODE: 'on' })).toMatchObject({ demoMode: true, demoModeExposed: false });
    expect(loadConfig({})).toMatchObject({ demoMode: true, demoModeExposed: false });
  });

  it('allows any HOST once demo mode is off (a provider is set, or DEMO_MODE=off)', () => {
    expect(loadConfig({ HOST: '0.0.0.0', SENDGRID_API_KEY: 'SG.key' })).toMatchObject({ demoMode: false, demoModeExposed: false });
    expect(loadConfig({ HOST: '0.0.0.0', DEMO_MODE: 'off' })).toMatchObject({ demoMode: false, demoModeExposed: false });
  });

  it('counts only 127.0.0.0/8, ::1 and localhost as this machine', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of [
      '0.0.0.0',
      '::',
      '',
      '128.0.0.1',
      '10.127.0.1',
      '192.0.2.2',
      'fd00::2',
      'localhost.example',
      '127.0.0.1.example',
      '::ffff:10.0.0.1',
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});
