import { describe, expect, it } from 'vitest';
import { safeLocalUrl } from '../../../src/web/forms.js';

// Lives with the identity tests because it guards the sign-in redirect (SECURITY-CASES G).
describe('safeLocalUrl (the return URL after sign-in)', () => {
  it('keeps a plain local path, with its query and fragment', () => {
    for (const url of ['/', '/manage', '/manage?message=ChangePasswordSuccess', '/account/login?returnUrl=%2Fmanage', '/a/b#part']) {
      expect(safeLocalUrl(url)).toBe(url);
    }
  });

  it('sends every way off the site home', () => {
    const offsite = [
      'https://evil.com',
      'http://evil.com/manage',
      '//evil.com',
      '///evil.com',
      '/\\evil.com',
      '\\\\evil.com',
      '/%2F%2Fevil.com',
      '/%2f%2fevil.com',
      '/%5Cevil.com',
      '%2F%2Fevil.com',
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'evil.com',
      ' /manage',
      '/\tevil.com',
    ];
    for (const url of offsite) expect(safeLocalUrl(url), url).toBe('/');
  });

  it('refuses header injection, raw or percent-encoded', () => {
    for (const url of ['/manage\r\nSet-Cookie: a=b', '/manage%0d%0aSet-Cookie:%20a=b', '/%0a', '/x%00y']) {
      expect(safeLocalUrl(url), url).toBe('/');
    }
  });

  it('refuses absurd lengths and malformed percent-encoding', () => {
    expect(safeLocalUrl(`/${'a'.repeat(10 * 1024)}`)).toBe('/');
    expect(safeLocalUrl('/%E0%A4%A')).toBe('/');
  });

  it('treats anything that is not a non-empty string as missing', () => {
    for (const value of [undefined, null, '', 42, ['/manage'], { url: '/manage' }]) {
      expect(safeLocalUrl(value)).toBe('/');
    }
  });
});
