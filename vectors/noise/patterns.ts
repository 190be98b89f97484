/**
 * The Noise handshake patterns as the spec writes them (rev 34 sections 7.4, 7.5 and 18.1), and the
 * modifiers applied to them (psk: section 9.2, fallback: 10.2, hfs: the hfs extension section 5).
 * Written from the spec, without the reference: the independent implementation and the harness's
 * verdicts stand on this table, never on the reference's parser.
 */

/** Pre-messages (initiator, responder) and messages, in the spec's token notation. */
export const BASE_PATTERNS: Readonly<Record<string, { pre: [string, string]; msgs: string[] }>> = {
  // 7.4 one-way
  N: { pre: ['', 's'], msgs: ['e es'] },
  K: { pre: ['s', 's'], msgs: ['e es ss'] },
  X: { pre: ['', 's'], msgs: ['e es s ss'] },
  // 7.5 fundamental interactive
  NN: { pre: ['', ''], msgs: ['e', 'e ee'] },
  NK: { pre: ['', 's'], msgs: ['e es', 'e ee'] },
  NX: { pre: ['', ''], msgs: ['e', 'e ee s es'] },
  KN: { pre: ['s', ''], msgs: ['e', 'e ee se'] },
  KK: { pre: ['s', 's'], msgs: ['e es ss', 'e ee se'] },
  KX: { pre: ['s', ''], msgs: ['e', 'e ee se s es'] },
  XN: { pre: ['', ''], msgs: ['e', 'e ee', 's se'] },
  XK: { pre: ['', 's'], msgs: ['e es', 'e ee', 's se'] },
  XX: { pre: ['', ''], msgs: ['e', 'e ee s es', 's se'] },
  IN: { pre: ['', ''], msgs: ['e s', 'e ee se'] },
  IK: { pre: ['', 's'], msgs: ['e es s ss', 'e ee se'] },
  IX: { pre: ['', ''], msgs: ['e s', 'e ee se s es'] },
  // 18.1 deferred
  NK1: { pre: ['', 's'], msgs: ['e', 'e ee es'] },
  NX1: { pre: ['', ''], msgs: ['e', 'e ee s', 'es'] },
  X1N: { pre: ['', ''], msgs: ['e', 'e ee', 's', 'se'] },
  X1K: { pre: ['', 's'], msgs: ['e es', 'e ee', 's', 'se'] },
  XK1: { pre: ['', 's'], msgs: ['e', 'e ee es', 's se'] },
  X1K1: { pre: ['', 's'], msgs: ['e', 'e ee es', 's', 'se'] },
  X1X: { pre: ['', ''], msgs: ['e', 'e ee s es', 's', 'se'] },
  XX1: { pre: ['', ''], msgs: ['e', 'e ee s', 'es s se'] },
  X1X1: { pre: ['', ''], msgs: ['e', 'e ee s', 'es s', 'se'] },
  K1N: { pre: ['s', ''], msgs: ['e', 'e ee', 'se'] },
  K1K: { pre: ['s', 's'], msgs: ['e es', 'e ee', 'se'] },
  KK1: { pre: ['s', 's'], msgs: ['e', 'e ee se es'] },
  K1K1: { pre: ['s', 's'], msgs: ['e', 'e ee es', 'se'] },
  K1X: { pre: ['s', ''], msgs: ['e', 'e ee s es', 'se'] },
  KX1: { pre: ['s', ''], msgs: ['e', 'e ee se s', 'es'] },
  K1X1: { pre: ['s', ''], msgs: ['e', 'e ee s', 'se es'] },
  I1N: { pre: ['', ''], msgs: ['e s', 'e ee', 'se'] },
  I1K: { pre: ['', 's'], msgs: ['e es s', 'e ee', 'se'] },
  IK1: { pre: ['', 's'], msgs: ['e s', 'e ee se es'] },
  I1K1: { pre: ['', 's'], msgs: ['e s', 'e ee es', 'se'] },
  I1X: { pre: ['', ''], msgs: ['e s', 'e ee s es', 'se'] },
  IX1: { pre: ['', ''], msgs: ['e s', 'e ee se s', 'es'] },
  I1X1: { pre: ['', ''], msgs: ['e s', 'e ee s', 'se es'] },
};

export const ONE_WAY_PATTERNS: ReadonlySet<string> = new Set(['N', 'K', 'X']);
const DH_TOKENS = new Set(['ee', 'es', 'se', 'ss']);

/** A protocol's handshake, modifiers applied. */
export interface PatternShape {
  /** The pattern section of the name, e.g. `XXfallback+psk0`. */
  section: string;
  base: string;
  modifiers: string[];
  initiatorPre: string[];
  responderPre: string[];
  messages: string[][];
  oneWay: boolean;
  hasPsk: boolean;
  hfs: boolean;
  fallback: boolean;
}

export class PatternError extends Error {
  override name = 'PatternError';
}

const tokens = (m: string): string[] => m.split(' ').filter(Boolean);

/** The handshake of a protocol name (`Noise_XXfallback+psk0_25519_ChaChaPoly_SHA256`). */
export function patternShape(protocol: string): PatternShape {
  const section = protocol.split('_')[1] ?? '';
  const m = /^([NKXI]1?[NKX]?1?)((?:[a-z]+\d*\+?)*)$/.exec(section);
  const base = m?.[1] ?? '';
  const def = BASE_PATTERNS[base];
  if (!m || !def) throw new PatternError(`no handshake pattern in "${section}"`);
  // Modifiers are `+`-separated after the first (`psk0+psk2`, `hfs+psk0`); the first follows the base directly.
  const modifiers = m[2] ? m[2].split('+').filter(Boolean) : [];
  let pre: [string[], string[]] = [tokens(def.pre[0]), tokens(def.pre[1])];
  let messages = def.msgs.map(tokens);
  const fallback = modifiers.includes('fallback');
  if (fallback) {
    // 10.2: Alice's first message becomes Bob's pre-message; Bob initiates the rest, so the
    // initiator/responder roles of the remaining DH tokens swap (es <-> se).
    const first = messages[0] ?? [];
    if (ONE_WAY_PATTERNS.has(base) || first.some((t) => t !== 'e' && t !== 's')) throw new PatternError(`fallback cannot apply to ${base}`);
    pre = [pre[1], first];
    messages = messages.slice(1).map((msg) => msg.map((t) => (t === 'es' ? 'se' : t === 'se' ? 'es' : t)));
  }
  const hfs = modifiers.includes('hfs');
  if (hfs) {
    // hfs 5: e1 right after the first e, or after the DH in that message that follows it; ekem1 after the first ee.
    const mi = messages.findIndex((msg) => msg.includes('e'));
    const msg = messages[mi]!;
    const ei = msg.indexOf('e');
    const dh = msg.findIndex((t, k) => k > ei && DH_TOKENS.has(t));
    msg.splice(dh >= 0 ? dh + 1 : ei + 1, 0, 'e1');
    const ki = messages.findIndex((x) => x.includes('ee'));
    if (ki >= 0) messages[ki]!.splice(messages[ki]!.indexOf('ee') + 1, 0, 'ekem1');
  }
  for (const mod of modifiers) {
    if (mod === 'hfs' || mod === 'fallback') continue;
    const p = /^psk(\d+)$/.exec(mod);
    if (!p) throw new PatternError(`unknown modifier "${mod}"`);
    const n = Number(p[1]);
    if (n > messages.length) throw new PatternError(`${mod}: the pattern has ${messages.length} messages`);
    // 9.2: psk0 opens the first message, pskN closes message N.
    if (n === 0) messages[0]!.unshift('psk');
    else messages[n - 1]!.push('psk');
  }
  return {
    section,
    base,
    modifiers,
    initiatorPre: pre[0],
    responderPre: pre[1],
    messages,
    oneWay: ONE_WAY_PATTERNS.has(base),
    hasPsk: modifiers.some((x) => x.startsWith('psk')),
    hfs,
    fallback,
  };
}
