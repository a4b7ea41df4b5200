const SECRET_PARAMS = new Set(['code', 'token', 'password', 'state', '_csrf']);

/**
 * Query parameters that are logged as they are: the ones Gatehouse's own links use that hold
 * no secret and no personal data. Everything else (phoneNumber on Verify Phone Number, an
 * email, whatever a client made up) is redacted: a list of what to hide is a list that misses
 * the next parameter.
 */
const PLAIN_PARAMS = new Set(['userid', 'provider', 'rememberme', 'message']);

// An email address or an international phone number anywhere in the text, also when
// percent-encoded (%40 for "@", %2B for "+"); other numbers, such as ids, stay readable.
const EMAIL = /[^\s/?&=#]*(@|%40)[^\s/?&=#]*/gi;
const PHONE = /(\+|%2B)[\d\s().%20-]{6,}/gi;

const scrub = (text: string) => text.replace(EMAIL, '[redacted]').replace(PHONE, '[redacted]');

/**
 * The URL as the request log writes it (issues L94 and 14.8): secrets (confirmation and reset
 * codes, OAuth state, a CSRF token a client put in the query string) and personal data (phone
 * numbers, email addresses) are replaced by "[redacted]". A return URL keeps its path but not
 * its own query string, which may carry any of those.
 */
export function redactUrl(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  if (q < 0) return scrub(url);
  const params = new URLSearchParams(url.slice(q + 1));
  const logged = new URLSearchParams();
  for (const [key, value] of params) {
    const name = key.toLowerCase();
    if (SECRET_PARAMS.has(name)) logged.append(key, '[redacted]');
    else if (name === 'returnurl') logged.append(key, redactUrl(value.split('?')[0]) + (value.includes('?') ? '?[redacted]' : ''));
    else if (PLAIN_PARAMS.has(name)) logged.append(scrub(key), scrub(value));
    else logged.append(scrub(key), '[redacted]');
  }
  return `${scrub(url.slice(0, q))}?${logged}`;
}
