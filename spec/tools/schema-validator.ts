/**
 * One JSON Schema 2020-12 validator for every schema of the project (vector files, results.json,
 * the adapter contract): Ajv, strict (except that `anyOf: [{required: [a]}, {required: [b]}]` may name properties declared beside it), each schema compiled once and cached by identity.
 * A validator returns readable problems (`<json pointer>: <message>`), empty when the value is valid.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

export type SchemaValidator = (value: unknown) => string[];

const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true, allowUnionTypes: true });
const compiled = new WeakMap<object, ValidateFunction>();

export function schemaValidator(schema: object): SchemaValidator {
  let validate = compiled.get(schema);
  if (!validate) {
    // Schemas carry an $id; compiling a second object with the same $id replaces the first.
    const id = (schema as { $id?: unknown }).$id;
    if (typeof id === 'string' && ajv.getSchema(id)) ajv.removeSchema(id);
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  const fn = validate;
  return (value) => (fn(value) ? [] : (fn.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`));
}
