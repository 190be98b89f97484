/**
 * Mutants: the reference adapter with one deliberate bug planted from outside, in test code only
 * (the shipped reference has no switch for any of them). A mutant replaces some methods of the
 * reference adapter's areas (adapter/), or hands an area a crypto provider that computes one
 * thing wrong, so both parties of a mutant share the bug. The mutation check
 * (harness/test/mutation.test.ts) shows that the trace replay and the conformance suites catch each.
 */
import { AgentsecError } from '../../../reference/errors.js';
import type { Aead, AeadName, CryptoProvider, HashName } from '../../../reference/crypto/provider.js';
import { REFERENCE_AREAS, ReferenceDispatcher } from '../../../adapter/index.js';
import type { Area, AreaContext, Handler } from '../../../adapter/area.js';
import type { TraceModel } from '../../trace/index.js';

export type MutantArea = 'noise' | 'ratchet' | 'x3dh' | 'pqxdh' | 'envelope' | 'records';

export interface Mutant {
  readonly name: string;
  readonly area: MutantArea;
  readonly description: string;
  /** Both parties share the bug: two instances of the mutant interoperate, only an independent party sees it. */
  readonly selfConsistent: boolean;
  /** The adapter's areas with the bug planted; a fresh set (fresh bookkeeping) per call. */
  areas(): Area[];
  /** The conformance suite of its area. */
  readonly suite: string;
  /** The model whose traces catch it, or undefined when the traces do not exercise it. */
  readonly traces: TraceModel | undefined;
  /** Conformance tests (seed 1, --quick) that pass on the reference and fail on this mutant. */
  readonly caughtBy: readonly string[];
}

/** The method of `area` replaced by `fn`, which may call the original through `next`. */
export type Override = (p: Record<string, unknown>, ctx: AreaContext, next: Handler) => unknown;

export function override(area: Area, methods: Record<string, Override>): Area {
  const out: Record<string, Handler> = { ...area.methods };
  for (const [name, fn] of Object.entries(methods)) {
    const next = area.methods[name];
    if (!next) throw new Error(`mutant overrides unknown method ${name}`);
    out[name] = (p, ctx) => fn(p, ctx, next);
  }
  return { name: area.name, capabilities: (ctx) => area.capabilities(ctx), methods: out };
}

/** Every handler of `area` runs with the provider `wrap` gives (one wrapped provider per base provider). */
export function withProvider(area: Area, wrap: (p: CryptoProvider) => CryptoProvider): Area {
  const cache = new WeakMap<CryptoProvider, CryptoProvider>();
  const wrapped = (p: CryptoProvider): CryptoProvider => {
    let w = cache.get(p);
    if (!w) cache.set(p, (w = wrap(p)));
    return w;
  };
  const methods: Record<string, Handler> = {};
  for (const [name, h] of Object.entries(area.methods)) {
    methods[name] = (p, ctx) => h(p, { objects: ctx.objects, services: ctx.services, provider: wrapped(ctx.provider) });
  }
  return { name: area.name, capabilities: (ctx) => area.capabilities(ctx), methods };
}

/** A provider computing like `p` except for the functions given. */
export function providerWith(
  p: CryptoProvider,
  o: {
    hkdf?: (name: HashName, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) => Uint8Array;
    hmac?: (name: HashName, key: Uint8Array, data: Uint8Array) => Uint8Array;
    aead?: (name: AeadName) => Aead;
  },
): CryptoProvider {
  return {
    name: p.name,
    x25519: p.x25519,
    ed25519: p.ed25519,
    aead: o.aead ?? ((n) => p.aead(n)),
    kem: (n) => p.kem(n),
    hash: (n, d) => p.hash(n, d),
    hmac: o.hmac ?? ((n, k, d) => p.hmac(n, k, d)),
    hkdf: o.hkdf ?? ((n, ikm, salt, info, len) => p.hkdf(n, ikm, salt, info, len)),
    randomBytes: (n) => p.randomBytes(n),
  };
}

/** The reference's areas with `replace` applied to the one named `name`. */
export function areasWith(name: string, replace: (a: Area) => Area): Area[] {
  const found = REFERENCE_AREAS.some((a) => a.name === name);
  if (!found) throw new Error(`no reference area ${name}`);
  return REFERENCE_AREAS.map((a) => (a.name === name ? replace(a) : a));
}

/** Runs `next`; when it refuses with an AgentsecError, `onRefusal` runs before the error propagates. */
export async function onRefusal(run: () => unknown, then: (e: AgentsecError) => void): Promise<unknown> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof AgentsecError) then(e);
    throw e;
  }
}

/** One mutant instance: the reference dispatcher over the mutant's areas. */
export function mutantDispatcher(m: Mutant, opts: { provider?: CryptoProvider; onInternalError?: (method: string, e: unknown) => void } = {}): ReferenceDispatcher {
  return new ReferenceDispatcher({ areas: m.areas(), ...(opts.provider ? { provider: opts.provider } : {}), ...(opts.onInternalError ? { onInternalError: opts.onInternalError } : {}) });
}
