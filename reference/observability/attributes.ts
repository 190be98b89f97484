/**
 * Trace span attributes (OpenTelemetry-style flat maps: string keys, primitive or primitive-array
 * values) scrubbed with the logger's rules. The result is again a valid attribute map: a nested
 * value is scrubbed and then carried as its JSON text.
 */
import { DEFAULT_SCRUB_POLICY, isSecretField, isStrippedField, redactString, scrubValue, type ScrubPolicy } from './scrub.js';

export type AttributeValue = string | number | boolean | string[] | number[] | boolean[];
export type Attributes = Record<string, AttributeValue>;

function primitive(v: unknown): string | number | boolean | undefined {
  if (typeof v === 'string') return redactString(v);
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  return undefined;
}

// @req OBS-009
export function scrubAttributes(attrs: unknown, policy: ScrubPolicy = DEFAULT_SCRUB_POLICY): Attributes {
  const out: Attributes = {};
  const scrubbed = scrubValue(attrs, policy);
  if (scrubbed === null || typeof scrubbed !== 'object' || Array.isArray(scrubbed)) return out;
  for (const [k, v] of Object.entries(scrubbed)) {
    if (isStrippedField(k, policy)) continue;
    if (isSecretField(k)) {
      if (v !== null) out[k] = '[redacted]';
      continue;
    }
    const p = primitive(v);
    if (p !== undefined) {
      out[k] = p;
      continue;
    }
    if (v === null) continue; // OpenTelemetry drops null attribute values
    if (Array.isArray(v)) {
      const items = v.map(primitive);
      const kinds = new Set(items.map((x) => typeof x));
      // A homogeneous primitive array stays an array; anything else becomes JSON text.
      if (kinds.size <= 1 && !items.includes(undefined)) {
        out[k] = items as string[] | number[] | boolean[];
        continue;
      }
    }
    out[k] = JSON.stringify(v);
  }
  return out;
}
