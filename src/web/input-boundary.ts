/**
 * The one boundary check for text that arrives in a request body (issue 14.8). Every form field
 * of every form is text a person typed or a page filled in: it never holds a control character
 * (C0, DEL, C1), a lone UTF-16 surrogate (JSON "\ud800"), U+FFFD (what the body decoder makes of
 * bytes that are not UTF-8), or percent-encoding that does not decode as UTF-8 (%C0%80, %FF,
 * which the form parser would otherwise keep as the literal text "%FF"). Such input is refused
 * before any handler sees it; docs/input.md gives the reasons.
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const REPLACEMENT = /\ufffd/;

export function isAllowedText(text: string): boolean {
  return !CONTROL.test(text) && !LONE_SURROGATE.test(text) && !REPLACEMENT.test(text);
}

/** Whether a value as a body parser produced it (string, array, nested object) holds only allowed text. */
function isAllowedValue(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return isAllowedText(value);
  if (value === null || typeof value !== 'object' || depth > 8) return true;
  return Object.entries(value).every(([key, inner]) => isAllowedText(key) && isAllowedValue(inner, depth + 1));
}

/**
 * The name of the first body field holding refused text, '' when a field's name itself is
 * refused, undefined when every field is fine.
 */
export function findRefusedField(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  for (const [name, value] of Object.entries(body)) {
    if (!isAllowedText(name)) return '';
    if (!isAllowedValue(value)) return name;
  }
  return undefined;
}

const decodes = (part: string) => {
  try {
    decodeURIComponent(part.replace(/\+/g, ' '));
    return true;
  } catch {
    return false;
  }
};

/** In a raw urlencoded body: the first field whose name or value is not valid percent-encoded UTF-8. */
export function findBadlyEncodedField(raw: string): string | undefined {
  for (const pair of raw.split('&')) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    if (!decodes(name)) return '';
    if (!decodes(value)) return decodeURIComponent(name.replace(/\+/g, ' '));
  }
  return undefined;
}
