import crypto from 'node:crypto';

/**
 * Separate keys for separate jobs, all derived from the one application secret with HKDF, so
 * a session-cookie signature can never be replayed as a token hash and the reverse.
 */
export interface SecretKeys {
  sessionCookie: string;
  tokenHash: Buffer;
  rememberBrowser: Buffer;
  /** Signs visitors' CSRF tokens (web/middleware/csrf.ts). */
  csrf: Buffer;
}

export function deriveSecretKeys(appSecret: string): SecretKeys {
  const derive = (label: string) => Buffer.from(crypto.hkdfSync('sha256', appSecret, 'gatehouse', label, 32));
  return {
    sessionCookie: derive('session-cookie').toString('base64url'),
    tokenHash: derive('token-hash'),
    rememberBrowser: derive('remember-browser'),
    csrf: derive('csrf'),
  };
}

export function hmac(key: Buffer, ...parts: string[]): Buffer {
  const mac = crypto.createHmac('sha256', key);
  // Length-prefix each part so ("ab","c") and ("a","bc") never hash alike.
  for (const part of parts) mac.update(`${Buffer.byteLength(part)}:${part}|`);
  return mac.digest();
}

const byteLength = (value: Buffer | string) => (typeof value === 'string' ? Buffer.byteLength(value) : value.length);

/** Constant-time comparison of two secrets of any length. */
export function safeEqual(a: Buffer | string, b: Buffer | string): boolean {
  // Compare digests so different lengths take the same time and never throw (one-shot hashes:
  // this runs on every signed-in request).
  const hx = crypto.hash('sha256', a, 'buffer');
  const hy = crypto.hash('sha256', b, 'buffer');
  return crypto.timingSafeEqual(hx, hy) && byteLength(a) === byteLength(b);
}
