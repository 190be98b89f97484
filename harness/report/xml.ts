/** XML/HTML text escaping for reports: everything an implementation sends ends up here. */

/** Characters XML 1.0 forbids (most C0 controls, lone surrogates, U+FFFE/U+FFFF), shown as \uXXXX. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVALID_XML = /[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

export function escapeXml(s: string): string {
  return s
    .replace(INVALID_XML, (c) => `\\u${c.codePointAt(0)?.toString(16).padStart(4, '0') ?? ''}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** HTML escaping is the same set (and `&#39;` is understood everywhere &apos; is). */
export function escapeHtml(s: string): string {
  return escapeXml(s).replace(/&apos;/g, '&#39;');
}
