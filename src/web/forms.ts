/**
 * Reads one form field as a string. Anything else a body parser can produce (arrays from
 * `a=1&a=2`, objects from `a[b]=1`) counts as missing, so handlers only ever see strings.
 */
export function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

export function checkbox(body: unknown, name: string): boolean {
  const value = field(body, name);
  return value === 'true' || value === 'on';
}

export function queryParam(query: unknown, name: string): string {
  return field(query, name);
}

export type FieldErrors = Record<string, string>;

/**
 * A return URL is used only when it is a plain local path: "/x" but not "//evil", "/\\evil",
 * schemes, control characters or absurd lengths. Anything else sends the user home.
 */
export function safeLocalUrl(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return '/';
  try {
    // Reject anything whose decoding would turn into a protocol-relative or absolute URL.
    const decoded = decodeURIComponent(value);
    if (decoded.startsWith('//') || decoded.startsWith('/\\') || /[\u0000-\u001f]/.test(decoded)) return '/';
    const parsed = new URL(value, 'http://gatehouse.invalid');
    if (parsed.origin !== 'http://gatehouse.invalid') return '/';
  } catch {
    return '/';
  }
  return value;
}
