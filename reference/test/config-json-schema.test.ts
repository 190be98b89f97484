import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schemaValidator } from '../../spec/tools/schema-validator.js';
import { configJsonSchema, defaultSecurityConfig, parseSecurityConfig, SECURITY_CONFIG_SCHEMA } from '../config/index.js';
import type { FieldSpec, ObjectSpec } from '../config/schema.js';

const FILE = new URL('../../spec/config.schema.json', import.meta.url);
const schema = configJsonSchema(SECURITY_CONFIG_SCHEMA, defaultSecurityConfig);
const validate = schemaValidator(schema);

const accepts = (v: unknown): boolean => {
  try {
    parseSecurityConfig(v);
    return true;
  } catch {
    return false;
  }
};

/** Single-field edits of the defaults: wrong types, bounds, unknown keys, refused and allowed enum values. */
function edits(spec: ObjectSpec, path: string[]): { path: string[]; value: unknown }[] {
  const out: { path: string[]; value: unknown }[] = [{ path: [...path, 'unknownSetting'], value: 1 }];
  for (const [k, f] of Object.entries(spec.fields) as [string, FieldSpec][]) {
    const p = [...path, k];
    out.push({ path: p, value: [] }, { path: p, value: null });
    switch (f.type) {
      case 'object':
        out.push(...edits(f, p));
        break;
      case 'enum':
        for (const v of [...f.values, ...Object.keys(f.refuse ?? {}), 'no-such-value']) out.push({ path: p, value: v });
        break;
      case 'int':
      case 'number':
        for (const v of [f.min, f.max, f.min - 1, f.max + 1, f.min + 0.5, '1']) out.push({ path: p, value: v });
        break;
      case 'bool':
        out.push({ path: p, value: true }, { path: p, value: false }, { path: p, value: 'true' });
        break;
      case 'string':
        out.push({ path: p, value: '' }, { path: p, value: '/x' }, { path: p, value: 'A_B' }, { path: p, value: 7 });
        break;
    }
  }
  return out;
}

function withEdit(base: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  let o = copy;
  for (const k of path.slice(0, -1)) {
    if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[path[path.length - 1]!] = value;
  return copy;
}

describe('the configuration JSON Schema', () => {
  it('CONFIG-016: spec/config.schema.json is generated from the validator (regenerate with agentsec spec extract)', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(`${JSON.stringify(schema, null, 2)}\n`);
  });

  it('CONFIG-016: the defaults and an empty file validate; the schema refuses what the validator refuses, field by field', () => {
    expect(validate(defaultSecurityConfig)).toEqual([]);
    expect(validate({})).toEqual([]);
    const cases = edits(SECURITY_CONFIG_SCHEMA, []);
    let schemaRefused = 0;
    for (const { path, value } of cases) {
      const cfg = withEdit(defaultSecurityConfig, path, value);
      const bySchema = validate(cfg).length === 0;
      // Schema refusal implies validator refusal; acceptance may still meet a cross-field rule.
      if (!bySchema) {
        schemaRefused++;
        expect(accepts(cfg), `${path.join('.')} = ${JSON.stringify(value)}`).toBe(false);
      }
      if (accepts(cfg)) expect(bySchema, `${path.join('.')} = ${JSON.stringify(value)}`).toBe(true);
    }
    expect(cases.length).toBeGreaterThan(100);
    expect(schemaRefused).toBeGreaterThan(cases.length / 2);
  });
});
