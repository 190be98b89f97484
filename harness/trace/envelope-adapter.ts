/**
 * The implementation under test as the subject of envelope_lifecycle traces, through its
 * agentsec-adapter/1 KEK administration (`envelope.kek_*`, spec/adapter-protocol.md CONF-150): one
 * fresh administered KEK per trace, the model's tick moved onto the KEK's own clock.
 */
import type { Capabilities } from '../../protocol/types.js';
import { CheckFailure } from '../conform/assert.js';
import { AdapterCallError, type Adapter } from '../conform/types.js';
import type { EncryptionContext, EnvelopeSubject } from './envelope.js';

/** Why envelope traces are not applicable to an implementation that does not claim KEK administration. */
export const ENVELOPE_TRACES_NA = 'the implementation does not claim envelope.kek_admin (KEK administration: rotate, retire, versions, clock)';

export function envelopeApplies(caps: Capabilities): true | string {
  return caps.envelope?.kek_admin === true ? true : ENVELOPE_TRACES_NA;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function field<T>(method: string, r: unknown, name: string, ok: (v: unknown) => boolean): T {
  const v = typeof r === 'object' && r !== null ? (r as Record<string, unknown>)[name] : undefined;
  if (!ok(v)) throw new CheckFailure(`${method}: result field "${name}" is ${JSON.stringify(v)?.slice(0, 60)}`);
  return v as T;
}
const isHex = (v: unknown) => typeof v === 'string' && /^(?:[0-9a-f]{2})*$/.test(v);
const isVersion = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
const bytes = (method: string, r: unknown, name: string) => new Uint8Array(Buffer.from(field<string>(method, r, name, isHex), 'hex'));

/** A subject over `iut`: makes its KEK with `envelope.kek_new` on first use. */
export function adapterEnvelopeSubject(iut: Adapter): EnvelopeSubject {
  let kek: Promise<string> | undefined;
  const id = () => (kek ??= iut.call('envelope.kek_new', {}).then((r) => field<string>('envelope.kek_new', r, 'kek', (v) => typeof v === 'string' && v.length > 0)));
  const versions = async () => {
    const r = await iut.call('envelope.kek_versions', { kek: await id() });
    const list = field<unknown[]>('envelope.kek_versions', r, 'versions', Array.isArray);
    return {
      current: field<number>('envelope.kek_versions', r, 'current', isVersion),
      versions: list.map((v) => ({ version: field<number>('envelope.kek_versions', v, 'version', isVersion), state: field<boolean>('envelope.kek_versions', v, 'retired', (x) => typeof x === 'boolean') ? 'retired' : 'usable' })),
    };
  };
  return {
    seal: async (plaintext, context: EncryptionContext) => bytes('envelope.seal', await iut.call('envelope.seal', { plaintext: hex(plaintext), context, kek: await id() }), 'envelope'),
    open: async (envelope, context) => bytes('envelope.open', await iut.call('envelope.open', { envelope: hex(envelope), context, kek: await id() }), 'plaintext'),
    rewrap: async (envelope) => bytes('envelope.rewrap', await iut.call('envelope.rewrap', { envelope: hex(envelope), kek: await id() }), 'envelope'),
    rotate: async () => field<number>('envelope.kek_rotate', await iut.call('envelope.kek_rotate', { kek: await id() }), 'version', isVersion),
    retire: async (version) => void (await iut.call('envelope.kek_retire', { kek: await id(), version })),
    advance: async (ms) => void (await iut.call('envelope.kek_advance', { kek: await id(), ms })),
    currentVersion: async () => (await versions()).current,
    versions: async () => (await versions()).versions,
    kindOf: (e) => (e instanceof AdapterCallError ? e.kind : undefined),
  };
}
