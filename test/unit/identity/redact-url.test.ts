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

  it('redacts phone numbers and email addresses: in parameters, in a return URL, in the path (issue 14.8)', () => {
    const cases = [
      '/manage/verify-phone-number?phoneNumber=%2B41791234567',
      '/account/login?returnUrl=%2Fmanage%2Fverify-phone-number%3FphoneNumber%3D%252B41791234567',
      '/account/login?email=ada%40example.com',
      '/x?anything=ada@example.com',
      '/x?ada%40example.com=1',
      '/x?message=ada%40example.com',
      '/missing/ada@example.com/+41%20791234567',
    ];
    for (const url of cases) {
      const logged = decodeURIComponent(decodeURIComponent(redactUrl(url)));
      expect(logged, url).not.toContain('791234567');
      expect(logged, url).not.toContain('ada');
      expect(logged, url).toContain('[redacted]');
    }
    expect(redactUrl('/account/login?returnUrl=%2Fmanage%3Fx%3D1')).toBe('/account/login?returnUrl=%2Fmanage%3F%5Bredacted%5D');
    expect(redactUrl('/account/verify-code?provider=Email+Code&rememberMe=false')).toBe(
      '/account/verify-code?provider=Email+Code&rememberMe=false',
    );
    expect(redactUrl('/manage?message=AddPhoneSuccess')).toBe('/manage?message=AddPhoneSuccess');
  });
});
