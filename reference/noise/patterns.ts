/**
 * Handshake patterns as data (rev 34 sections 7.4, 7.5, 18.1) and the pattern modifiers
 * (fallback section 10.2, psk section 9.4, hfs in noise_hfs_rev1 section 5). One interpreter (handshake-state.ts) walks them.
 */
import { AgentsecError } from '../errors.js';

export type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss' | 'psk' | 'e1' | 'ekem1';
export type PreToken = 'e' | 's';

export interface HandshakePattern {
  /** The pattern name section, modifiers included (e.g. `XXpsk0+psk2`). */
  readonly name: string;
  readonly initiatorPre: readonly PreToken[];
  readonly responderPre: readonly PreToken[];
  /** Message i is written by the initiator when i is even, by the responder when i is odd. */
  readonly messages: readonly (readonly Token[])[];
  /** One-way patterns (7.4): a single message, and only the first Split() CipherState is used. */
  readonly oneWay: boolean;
  readonly hasPsk: boolean;
  readonly hfs: boolean;
}

interface BasePattern {
  pre: [string, string];
  msgs: string[];
}

/** Written as in the spec's tables: pre-messages (initiator, responder), then messages alternating from the initiator. */
const P = (iPre: string, rPre: string, ...msgs: string[]): BasePattern => ({ pre: [iPre, rPre], msgs });

export const BASE_PATTERNS: Readonly<Record<string, BasePattern>> = {
  // 7.4 one-way
  N: P('', 's', 'e, es'),
  K: P('s', 's', 'e, es, ss'),
  X: P('', 's', 'e, es, s, ss'),
  // 7.5 fundamental interactive
  NN: P('', '', 'e', 'e, ee'),
  NK: P('', 's', 'e, es', 'e, ee'),
  NX: P('', '', 'e', 'e, ee, s, es'),
  KN: P('s', '', 'e', 'e, ee, se'),
  KK: P('s', 's', 'e, es, ss', 'e, ee, se'),
  KX: P('s', '', 'e', 'e, ee, se, s, es'),
  XN: P('', '', 'e', 'e, ee', 's, se'),
  XK: P('', 's', 'e, es', 'e, ee', 's, se'),
  XX: P('', '', 'e', 'e, ee, s, es', 's, se'),
  IN: P('', '', 'e, s', 'e, ee, se'),
  IK: P('', 's', 'e, es, s, ss', 'e, ee, se'),
  IX: P('', '', 'e, s', 'e, ee, se, s, es'),
  // 18.1 deferred
  NK1: P('', 's', 'e', 'e, ee, es'),
  NX1: P('', '', 'e', 'e, ee, s', 'es'),
  X1N: P('', '', 'e', 'e, ee', 's', 'se'),
  X1K: P('', 's', 'e, es', 'e, ee', 's', 'se'),
  XK1: P('', 's', 'e', 'e, ee, es', 's, se'),
  X1K1: P('', 's', 'e', 'e, ee, es', 's', 'se'),
  X1X: P('', '', 'e', 'e, ee, s, es', 's', 'se'),
  XX1: P('', '', 'e', 'e, ee, s', 'es, s, se'),
  X1X1: P('', '', 'e', 'e, ee, s', 'es, s', 'se'),
  K1N: P('s', '', 'e', 'e, ee', 'se'),
  K1K: P('s', 's', 'e, es', 'e, ee', 'se'),
  KK1: P('s', 's', 'e', 'e, ee, se, es'),
  K1K1: P('s', 's', 'e', 'e, ee, es', 'se'),
  K1X: P('s', '', 'e', 'e, ee, s, es', 'se'),
  KX1: P('s', '', 'e', 'e, ee, se, s', 'es'),
  K1X1: P('s', '', 'e', 'e, ee, s', 'se, es'),
  I1N: P('', '', 'e, s', 'e, ee', 'se'),
  I1K: P('', 's', 'e, es, s', 'e, ee', 'se'),
  IK1: P('', 's', 'e, s', 'e, ee, se, es'),
  I1K1: P('', 's', 'e, s', 'e, ee, es', 'se'),
  I1X: P('', '', 'e, s', 'e, ee, s, es', 'se'),
  IX1: P('', '', 'e, s', 'e, ee, se, s', 'es'),
  I1X1: P('', '', 'e, s', 'e, ee, s', 'se, es'),
};

export const ONE_WAY = new Set(['N', 'K', 'X']);
export const BASE_PATTERN_NAMES: readonly string[] = Object.keys(BASE_PATTERNS);

const DH_TOKENS = new Set<Token>(['ee', 'es', 'se', 'ss']);

const split = (s: string): string[] => (s === '' ? [] : s.split(', '));

/**
 * Builds a pattern from its base name and modifiers (already validated by protocol-name.ts).
 * Supported modifiers: fallback, pskN (N >= 0) and hfs, applied in the order written.
 */
export function buildPattern(base: string, modifiers: readonly string[]): HandshakePattern {
  const b = BASE_PATTERNS[base];
  if (!b) throw new AgentsecError('unsupported', 'UNKNOWN_PATTERN', `unknown handshake pattern "${base}"`);
  let messages: Token[][] = b.msgs.map((m) => split(m) as Token[]);
  let initiatorPre = split(b.pre[0]) as PreToken[];
  let responderPre = split(b.pre[1]) as PreToken[];
  let hasPsk = false;
  let hfs = false;
  for (const [i, mod] of modifiers.entries()) {
    const psk = /^psk(0|[1-9][0-9]*)$/.exec(mod);
    if (psk) {
      const n = Number(psk[1]);
      // @req NOISE-029: psk0 opens the first message; pskN (N >= 1) closes the Nth message.
      if (n === 0) messages[0]!.unshift('psk');
      else {
        const msg = messages[n - 1];
        if (!msg) throw new AgentsecError('decode_failure', 'BAD_MODIFIER', `modifier ${mod}: pattern ${base} has only ${messages.length} messages`);
        msg.push('psk');
      }
      hasPsk = true;
    } else if (mod === 'hfs') {
      if (modifiers.includes('fallback')) {
        // hfs placement after the role swap would put e1 and ekem1 into one message; not defined by either document.
        throw new AgentsecError('unsupported', 'UNSUPPORTED_MODIFIER', 'fallback combined with hfs is not supported');
      }
      applyHfs(base, messages);
      hfs = true;
    } else if (mod === 'fallback') {
      // @req NOISE-081: fallback converts the canonical (Alice-initiated) base pattern, so it comes first.
      if (i !== 0) throw new AgentsecError('decode_failure', 'BAD_MODIFIER', 'fallback applies to the base pattern and must be the first modifier');
      ({ initiatorPre, responderPre, messages } = applyFallback(base, initiatorPre, responderPre, messages));
    } else {
      throw new AgentsecError('unsupported', 'UNSUPPORTED_MODIFIER', `unknown pattern modifier "${mod}"`);
    }
  }
  const pattern: HandshakePattern = {
    name: base + modifiers.join('+'),
    initiatorPre,
    responderPre,
    messages,
    oneWay: ONE_WAY.has(base),
    hasPsk,
    hfs,
  };
  if (hasPsk) checkPskValidity(pattern);
  return pattern;
}

/** Section 10.2: Alice's first message may become a pre-message only if it is exactly one of these. */
const FALLBACK_FIRST = new Set(['e', 's', 'e,s']);

/**
 * Section 10.2 fallback: Alice's first message becomes her pre-message and the rest is a Bob-initiated
 * pattern. Written canonically (5.3's initiator is the party that sends first), Bob is the initiator
 * and Alice the responder: Bob keeps his pre-message as the initiator's, Alice's first message is the
 * responder's pre-message, and the DH tokens es/se swap names because the roles behind them swap.
 * Alice/Bob roles (who holds which key, who sent what) are unchanged.
 */
function applyFallback(
  base: string,
  initiatorPre: readonly PreToken[],
  responderPre: readonly PreToken[],
  messages: readonly Token[][],
): { initiatorPre: PreToken[]; responderPre: PreToken[]; messages: Token[][] } {
  const first = messages[0] ?? [];
  // @req NOISE-080: only patterns whose first message is "e", "s" or "e, s" (one-way patterns never are).
  if (ONE_WAY.has(base) || messages.length < 2 || !FALLBACK_FIRST.has(first.join(','))) {
    throw new AgentsecError('decode_failure', 'BAD_MODIFIER', `fallback needs a first message of "e", "s" or "e, s"; ${base} starts with "${first.join(', ')}"`);
  }
  // A pre-message that Alice already has (K*) would have to merge with her first message; 10.2 does not define that.
  if (initiatorPre.length > 0) {
    throw new AgentsecError('unsupported', 'UNSUPPORTED_MODIFIER', `fallback of ${base}: Alice already has a pre-message; merging it is not defined by 10.2`);
  }
  const swap = (t: Token): Token => (t === 'es' ? 'se' : t === 'se' ? 'es' : t);
  return {
    initiatorPre: [...responderPre],
    responderPre: [...first] as PreToken[],
    messages: messages.slice(1).map((m) => m.map(swap)),
  };
}

/**
 * hfs section 5: `e1` directly after the first `e`, unless a DH token follows that `e` in the same
 * message, in which case directly after that DH (so the KEM public key is encrypted); `ekem1`
 * directly after the first `ee`. The rule is applied as written; the document's example table
 * disagrees with it for KKhfs and INhfs (see spec/noise.md, NOISE-040).
 */
function applyHfs(base: string, messages: Token[][]): void {
  // @req NOISE-040
  const mi = messages.findIndex((m) => m.includes('e'));
  const mj = messages.findIndex((m) => m.includes('ee'));
  // @req NOISE-044
  if (mi < 0 || mj < 0 || ONE_WAY.has(base)) {
    throw new AgentsecError('decode_failure', 'BAD_MODIFIER', `hfs needs a pattern with "e" and "ee" tokens; ${base} has none`);
  }
  const m = messages[mi]!;
  const ei = m.indexOf('e');
  const dhAfter = m.findIndex((t, i) => i > ei && DH_TOKENS.has(t));
  m.splice(dhAfter >= 0 ? dhAfter + 1 : ei + 1, 0, 'e1');
  const n = messages[mj]!;
  n.splice(n.indexOf('ee') + 1, 0, 'ekem1');
}

/**
 * 9.3: a party may not send encrypted data after it processes a psk token unless it has sent an
 * ephemeral (before or after the psk). Every message carries an (encrypted, once k is set) payload.
 */
export function checkPskValidity(p: HandshakePattern): void {
  // @req NOISE-030
  // An ephemeral sent as a pre-message (fallback) counts as sent before any psk token.
  const sendsE = [p.initiatorPre.includes('e'), p.responderPre.includes('e')];
  p.messages.forEach((m, i) => {
    if (m.includes('e')) sendsE[i % 2] = true;
  });
  let pskSeen = false;
  p.messages.forEach((m, i) => {
    if (m.includes('psk')) pskSeen = true;
    if (pskSeen && !sendsE[i % 2]) {
      throw new AgentsecError('decode_failure', 'PSK_VALIDITY', `pattern ${p.name} violates the psk validity rule (9.3)`);
    }
  });
  // Transport messages are encrypted too: in interactive patterns both parties send them.
  if (!p.oneWay && !(sendsE[0] && sendsE[1])) {
    throw new AgentsecError('decode_failure', 'PSK_VALIDITY', `pattern ${p.name} violates the psk validity rule (9.3)`);
  }
}

/** Renders a pattern in the spec's notation (for docs and error messages). */
export function describePattern(p: HandshakePattern): string {
  const lines: string[] = [];
  if (p.initiatorPre.length) lines.push(`-> ${p.initiatorPre.join(', ')}`);
  if (p.responderPre.length) lines.push(`<- ${p.responderPre.join(', ')}`);
  if (lines.length) lines.push('...');
  p.messages.forEach((m, i) => lines.push(`${i % 2 === 0 ? '->' : '<-'} ${m.join(', ')}`));
  return lines.join('\n');
}
