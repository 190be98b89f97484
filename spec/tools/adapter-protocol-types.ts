/**
 * TypeScript types of the agentsec-adapter/1 methods, rendered from spec/adapter-protocol.schema.json
 * into protocol/methods.ts (by `agentsec spec extract`; a test keeps the file equal to the render).
 * Covers the keywords the contract uses: object/properties/required, string, integer, boolean,
 * enum, const, array items, $ref, additionalProperties (maps); oneOf/if-then stay runtime checks.
 */
import type { AdapterProtocolSchema } from './adapter-protocol.js';

type Json = Record<string, unknown>;

const NAMED: Record<string, string> = { hex: 'Hex', u64: 'U64', object_id: 'ObjectId', error_kind: 'ErrorKind', capabilities: 'Capabilities', services: 'Services' };

/** With `docs`, a property's `description` becomes its doc comment. */
function typeOf(s: unknown, indent: string, defs: Record<string, unknown>, docs = false): string {
  if (s === true) return 'unknown';
  const x = s as Json;
  if (typeof x.$ref === 'string') {
    const name = x.$ref.replace('#/$defs/', '');
    return NAMED[name] ?? typeOf(defs[name], indent, defs, docs);
  }
  if ('const' in x) return JSON.stringify(x.const);
  if (Array.isArray(x.enum)) return x.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (x.type === 'string') return 'string';
  if (x.type === 'integer' || x.type === 'number') return 'number';
  if (x.type === 'boolean') return 'boolean';
  if (x.type === 'array') return `${typeOf(x.items, indent, defs, docs)}[]`;
  if (x.type === 'object') {
    const props = (x.properties ?? {}) as Json;
    const required = new Set((x.required ?? []) as string[]);
    const keys = Object.keys(props);
    if (keys.length === 0) return x.additionalProperties && typeof x.additionalProperties === 'object' ? `Record<string, ${typeOf(x.additionalProperties, indent, defs, docs)}>` : 'Record<string, never>';
    const inner = `${indent}  `;
    const doc = (k: string): string => {
      const d = (props[k] as Json).description;
      return docs && typeof d === 'string' ? `${inner}/** ${d} */\n` : '';
    };
    return `{\n${keys.map((k) => `${doc(k)}${inner}${k}${required.has(k) ? '' : '?'}: ${typeOf(props[k], inner, defs, docs)};`).join('\n')}\n${indent}}`;
  }
  return 'unknown';
}

/**
 * protocol/capabilities.ts: the `hello` vocabulary (`$defs.capabilities`) and the services the
 * harness announces (`$defs.services`), with the schema's descriptions as doc comments (CONF-122).
 */
export function renderCapabilityTypes(schema: AdapterProtocolSchema): string {
  const defs = schema.$defs as Record<string, Json>;
  const one = (name: string): string => typeOf(defs[name], '', defs, true);
  return `// Generated from spec/adapter-protocol.schema.json by \`agentsec spec extract\`; do not edit.

/** What \`hello\` returns as \`capabilities\` (spec/adapter-protocol.md). */
export interface Capabilities ${one('capabilities')}

/** The services the harness runs for a test and announces in \`hello\`. */
export interface Services ${one('services')}
`;
}

export function renderProtocolTypes(schema: AdapterProtocolSchema): string {
  const defs = schema.$defs as Record<string, Json>;
  const methods = Object.keys(defs)
    .filter((k) => k.endsWith('.params'))
    .map((k) => k.slice(0, -'.params'.length))
    .sort();
  const map = (suffix: string) => methods.map((m) => `  '${m}': ${typeOf(defs[`${m}.${suffix}`], '  ', defs)};`).join('\n');
  return `// Generated from spec/adapter-protocol.schema.json by \`agentsec spec extract\`; do not edit.
import type { Capabilities, ErrorKind, Services } from './types.js';

/** Bytes as lowercase hex. */
export type Hex = string;
/** A 64-bit counter as a decimal string. */
export type U64 = string;
/** An id the adapter chose for an object it holds. */
export type ObjectId = string;

/** The params of each method. */
export interface MethodParams {
${map('params')}
}

/** The result of each method. */
export interface MethodResults {
${map('result')}
}

export type Method = keyof MethodParams;

export const METHODS: readonly Method[] = [${methods.map((m) => `'${m}'`).join(', ')}];

/** The error object of a refusal. */
export interface ProtocolError {
  code: number;
  message: string;
  data?: { kind: ErrorKind; reason?: string };
}
`;
}
