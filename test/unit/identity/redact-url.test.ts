import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../../src/web/redact-url.js';

// Lives with the identity tests because it keeps confirmation and reset codes out of logs (L94).
describe('redactUrl (request URLs in logs)', () => {
  it('leaves a URL without a query alone, and turns nothing into an empty string', () => {
    expect(redactUrl('/account/login')).toBe('/account/login');
    expect(redactUrl(undefined)).toBe('');
    expect(redactUrl('')).toBe('');
  });

  it('replaces codes, tokens, passwords and OAuth state, and keeps other parameters', () => {
    const logged = redactUrl('/account/reset-password?userId=42&code=SECRET1&returnUrl=%2Fmanage');
    expect(logged).not.toContain('SECRET1');
    const params = new URL(logged, 'http://x').searchParams;
    expect(params.get('code')).toBe('[redacted]');
    expect(params.get('userId')).toBe('42');
    expect(params.get('returnUrl')).toBe('/manage');
    for (const name of ['token', 'password', 'state']) {
      expect(redactUrl(`/cb?${name}=SECRET2`)).not.toContain('SECRET2');
    }
  });

  it('matches parameter names in any case, when repeated or percent-encoded', () => {
    for (const url of ['/x?CODE=SECRET3', '/x?Token=SECRET3', '/x?code=a&code=SECRET3', '/x?c%6Fde=SECRET3', '/x?code=SECRET3&code']) {
      expect(redactUrl(url), url).not.toContain('SECRET3');
    }
  });
});
