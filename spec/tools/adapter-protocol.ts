/**
 * The agentsec-adapter/1 contract as data: spec/adapter-protocol.schema.json, found by walking up
 * from this module to the package root (the same walk works from the sources, the build and an
 * installed package), with one validator per `$defs` entry.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaValidator, type SchemaValidator } from './schema-validator.js';

export interface AdapterProtocolSchema {
  $defs: Record<string, object>;
}

function findSchemaFile(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const f = join(dir, 'spec', 'adapter-protocol.schema.json');
    if (existsSync(f)) return f;
    if (dirname(dir) === dir) throw new Error(`no spec/adapter-protocol.schema.json above ${from}`);
  }
}

let schema: AdapterProtocolSchema | undefined;

export function adapterProtocolSchema(): AdapterProtocolSchema {
  schema ??= JSON.parse(readFileSync(findSchemaFile(dirname(fileURLToPath(import.meta.url))), 'utf8')) as AdapterProtocolSchema;
  return schema;
}

/** The methods the contract names: every `<method>.params` entry. */
export function contractMethods(): string[] {
  return Object.keys(adapterProtocolSchema().$defs)
    .filter((k) => k.endsWith('.params'))
    .map((k) => k.slice(0, -'.params'.length))
    .sort();
}

const validators = new Map<string, SchemaValidator>();

/** A validator for one `$defs` entry (`noise.write.result`, `error`, ...); undefined if there is none. */
export function contractValidator(def: string): SchemaValidator | undefined {
  let v = validators.get(def);
  if (!v) {
    const s = adapterProtocolSchema();
    if (!Object.hasOwn(s.$defs, def)) return undefined;
    // A wrapper sharing the $defs, so that references between entries resolve.
    v = schemaValidator({ $defs: s.$defs, $ref: `#/$defs/${def}` });
    validators.set(def, v);
  }
  return v;
}
