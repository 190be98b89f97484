/**
 * The JSON Schema (2020-12) of SecurityConfig, derived from the declarative spec that validates it,
 * so editors and other tools check a configuration file with the same rules (CONFIG-016). The spec
 * stays the validator: its refusals carry an error kind, the fix and "did you mean" hints, which a
 * schema cannot say; values refused on policy grounds are simply absent from the schema's enums.
 */
import type { FieldSpec, ObjectSpec } from './schema.js';

type JsonSchema = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function field(spec: FieldSpec, def: unknown): JsonSchema {
  switch (spec.type) {
    case 'object':
      return objectSchema(spec, def);
    case 'enum':
      return { enum: [...spec.values] };
    case 'int':
      return { type: 'integer', minimum: spec.min, maximum: spec.max, ...(spec.what ? { description: spec.what } : {}) };
    case 'number':
      return { type: 'number', minimum: spec.min, maximum: spec.max, ...(spec.what ? { description: spec.what } : {}) };
    case 'bool':
      return { type: 'boolean' };
    case 'string':
      return { type: 'string', pattern: spec.pattern.source, description: spec.what };
  }
}

function objectSchema(spec: ObjectSpec, defaults: unknown): JsonSchema {
  const defs = isObject(defaults) ? defaults : {};
  const properties = Object.fromEntries(Object.entries(spec.fields).map(([k, f]) => [k, field(f, defs[k])]));
  // As in parseObject: a field may be left out when it is optional or has a default.
  const required = Object.entries(spec.fields).filter(([k, f]) => !f.optional && defs[k] === undefined).map(([k]) => k);
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false };
}

/** The schema document for `spec` with `defaults` (a field with a default may be omitted). */
export function configJsonSchema(spec: ObjectSpec, defaults: unknown): JsonSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://agentsec.invalid/schemas/security-config-1.json',
    title: 'agentsec SecurityConfig (spec/config.md); generated from the validator, do not edit',
    ...objectSchema(spec, defaults),
  };
}
