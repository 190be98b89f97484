/**
 * Redaction of what an implementation writes (stderr, error messages) before a report holds it.
 * It scrubs what looks like key material and nothing else: protocol names, file paths, stack frames,
 * ARNs, identifiers and ordinary text reach the report as written (spec/conformance.md CONF-051).
 *
 * Key material is recognised by its encoding:
 * - hex of 16+ bytes (32+ hex digits standing alone, optionally after `0x`);
 * - base64 / base64url of 15+ bytes (20+ characters) whose characters look random. The run is
 *   split into words (a capitalised or lower-case word, an upper-case run, a digit run): random
 *   encodings give short words (mean under 3.2 characters) and few characters in words of 4+
 *   letters (under 30%); names and paths give longer ones. Noise protocol names and UUIDs (ARNs,
 *   request ids) are recognised by their grammar and never redacted.
 * Measured on 100,000 random values: a 16-byte value in base64 is missed about 3 times in 1000, a
 * 32-byte one about 2 times in 10,000 (hex: never). The names, paths and stack frames of
 * harness/test/redact.test.ts are all kept.
 */

/** Lines longer than this are cut (a report stays bounded whatever the implementation writes). */
export const MAX_LINE_CHARS = 4096;

const HEX_RUN = /(?<![0-9A-Za-z])(?:0x)?[0-9a-fA-F]{32,}(?![0-9A-Za-z])/g;
const TOKEN_RUN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{20,}={0,2}/g;
const WORD = /[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+/g;
const NOISE_NAME = /^Noise_[A-Za-z0-9+]+_[A-Za-z0-9+]+_[A-Za-z0-9]+_[A-Za-z0-9]+$/;
const UUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g;
const MIN_RUN = 20;
const MAX_MEAN_WORD = 3.2;
const MAX_LONG_WORD_SHARE = 0.3;

/** True when a base64/base64url-alphabet run looks like an encoding of random bytes. */
export function looksRandom(run: string): boolean {
  if (NOISE_NAME.test(run)) return false;
  const body = run.replace(/=+$/, '').replace(UUID, '');
  if (body.length < MIN_RUN) return false;
  const words = body.match(WORD) ?? [];
  if (words.length === 0) return false;
  const chars = words.reduce((n, w) => n + w.length, 0);
  const inLongWords = words.filter((w) => w.length >= 4 && !/^[0-9]/.test(w)).reduce((n, w) => n + w.length, 0);
  // Digits scattered one or two at a time through the letters (names keep theirs in groups: 256, 25519).
  const digitGroups = words.filter((w) => /^[0-9]/.test(w));
  const scattered = digitGroups.length >= 4 && digitGroups.reduce((n, w) => n + w.length, 0) / digitGroups.length < 1.6;
  return chars / words.length < MAX_MEAN_WORD || inLongWords / body.length < MAX_LONG_WORD_SHARE || scattered;
}

/** Redacts one line (see the file comment). */
export function redactLine(line: string): string {
  // @req CONF-051
  const text = line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) : line;
  const out = text.replace(HEX_RUN, (h) => `[redacted hex ${h.length} chars]`).replace(TOKEN_RUN, (run) => (looksRandom(run) ? `[redacted base64 ${run.length} chars]` : run));
  return text.length < line.length ? `${out}[truncated ${line.length - text.length} chars]` : out;
}

/** Redacts text line by line. */
export function redactText(s: string): string {
  return s.split('\n').map(redactLine).join('\n');
}
