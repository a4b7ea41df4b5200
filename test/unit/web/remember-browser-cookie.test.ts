import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  clearRememberBrowserCookie,
  readRememberBrowserCookie,
  rememberBrowserCookieName,
  setRememberBrowserCookie,
} from '../../../src/web/remember-browser-cookie.js';

function app(production: boolean) {
  const a = express();
  a.get('/set', (_req, res) => {
    setRememberBrowserCookie(res, 'a'.repeat(43), production, 86_400_000);
    res.end();
  });
  a.get('/clear', (_req, res) => {
    clearRememberBrowserCookie(res, production);
    res.end();
  });
  a.get('/read', (req, res) => {
    res.json({ token: readRememberBrowserCookie(req, production) ?? null });
  });
  return a;
}

describe('the remember-browser cookie', () => {
  it('is __Host-gatehouse.rb, Secure, HttpOnly, SameSite=Lax, Path=/ and without Domain in production', async () => {
    expect(rememberBrowserCookieName(true)).toBe('__Host-gatehouse.rb');
    const res = await request(app(true)).get('/set');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^__Host-gatehouse\.rb=a{43}; Max-Age=86400; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/);
    expect(cookie).not.toMatch(/Domain/i);
  });

  it('is gatehouse.rb without Secure in development, so it works on http://localhost', async () => {
    const res = await request(app(false)).get('/set');
    expect(String(res.headers['set-cookie'])).toMatch(/^gatehouse\.rb=a{43};.*HttpOnly; SameSite=Lax$/);
  });

  it('is cleared with the same attributes', async () => {
    const res = await request(app(true)).get('/clear');
    expect(String(res.headers['set-cookie'])).toMatch(
      /^__Host-gatehouse\.rb=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax$/,
    );
  });

  it('reads only its own, well-formed cookie', async () => {
    const read = (cookie: string) =>
      request(app(false))
        .get('/read')
        .set('Cookie', cookie)
        .then((r) => r.body.token);
    expect(await read(`other=1; gatehouse.rb=${'b'.repeat(43)}`)).toBe('b'.repeat(43));
    expect(await read('xgatehouse.rb=abc')).toBeNull();
    expect(await read('gatehouse.rb=%00abc')).toBeNull();
    expect(await read('gatehouse.rb=')).toBeNull();
  });
});
