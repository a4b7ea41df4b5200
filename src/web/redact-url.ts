const SECRET_PARAMS = new Set(['code', 'token', 'password', 'state', '_csrf']);

/**
 * Drops secret query parameters (confirmation and reset codes, OAuth state, and a CSRF token a
 * client put in the query string, where it is refused but would otherwise be logged).
 */
export function redactUrl(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...params.keys()]) {
    if (SECRET_PARAMS.has(key.toLowerCase())) params.set(key, '[redacted]');
  }
  return `${url.slice(0, q)}?${params}`;
}
