/**
 * Bounded exhaustive search of noise_handshake.qnt (spec/models.md MODEL-054): a TypeScript
 * transcription of the model's transition relation (the adversary's moves: write, deliver any sent
 * message intact or tampered, rekey), explored breadth-first from both initial states to a depth,
 * checking the model's invariants in every state and counting distinct states. The transcription is
 * held to the Quint model by trace agreement: every step of every committed noise trace must be a
 * successor this relation produces (spec/test/models.test.ts).
 */
const PATTERNS: Record<string, boolean[]> = { XX: [false, true, true], IK: [true, true] };
export const MAX_NONCE = 3;
const ROLES = ['I', 'R'] as const;
type Role = (typeof ROLES)[number];

export interface Party { phase: string; msgIndex: number; sendNonce: number; recvNonce: number; sendKey: number; recvKey: number; transcript: number[] }
export interface Msg { id: number; sender: Role; handshake: boolean; idx: number; nonce: number; key: number }
export interface Last { kind: string; party: string; msg: number; tampered: boolean; outcome: string }
export interface NState { pattern: string; parties: Record<Role, Party>; sent: Msg[]; accepted: Record<Role, number[]>; last: Last; prev: Record<Role, Party> }

const FRESH: Party = { phase: 'handshake', msgIndex: 0, sendNonce: 0, recvNonce: 0, sendKey: 0, recvKey: 0, transcript: [] };
const other = (r: Role): Role => (r === 'I' ? 'R' : 'I');
const writerOf = (k: number): Role => (k % 2 === 0 ? 'I' : 'R');

export function initial(): NState[] {
  return Object.keys(PATTERNS).map((pattern) => ({
    pattern,
    parties: { I: FRESH, R: FRESH },
    sent: [],
    accepted: { I: [], R: [] },
    last: { kind: 'init', party: '', msg: -1, tampered: false, outcome: 'ok' },
    prev: { I: FRESH, R: FRESH },
  }));
}

function refuse(s: NState, kind: string, r: Role, mid: number, t: boolean, outcome: string): NState {
  return { ...s, prev: s.parties, last: { kind, party: r, msg: mid, tampered: t, outcome } };
}
function update(s: NState, kind: string, r: Role, p: Party, sent: Msg[], mid: number, t: boolean, outcome: string): NState {
  return {
    ...s,
    parties: { ...s.parties, [r]: p },
    sent,
    accepted: kind === 'read' && outcome === 'ok' ? { ...s.accepted, [r]: [...s.accepted[r], mid] } : s.accepted,
    prev: s.parties,
    last: { kind, party: r, msg: mid, tampered: t, outcome },
  };
}

function write(s: NState, r: Role): NState {
  const p = s.parties[r];
  const id = s.sent.length;
  const len = PATTERNS[s.pattern]!.length;
  if (p.phase === 'failed') return refuse(s, 'write', r, -1, false, 'state_failure');
  if (p.phase === 'handshake' && writerOf(p.msgIndex) !== r) return refuse(s, 'write', r, -1, false, 'state_failure');
  if (p.phase === 'handshake') {
    const done = p.msgIndex + 1 === len;
    return update(s, 'write', r, { ...p, msgIndex: p.msgIndex + 1, phase: done ? 'transport' : 'handshake', transcript: [...p.transcript, id] },
      [...s.sent, { id, sender: r, handshake: true, idx: p.msgIndex, nonce: 0, key: 0 }], id, false, 'ok');
  }
  if (p.sendNonce >= MAX_NONCE) return refuse(s, 'write', r, -1, false, 'state_failure');
  return update(s, 'write', r, { ...p, sendNonce: p.sendNonce + 1 }, [...s.sent, { id, sender: r, handshake: false, idx: -1, nonce: p.sendNonce, key: p.sendKey }], id, false, 'ok');
}

function deliver(s: NState, mid: number, t: boolean): NState | undefined {
  const m = s.sent[mid]!;
  const auth = m.handshake ? PATTERNS[s.pattern]![m.idx]! : true;
  if (t && !auth) return undefined;
  const r = other(m.sender);
  const p = s.parties[r];
  const len = PATTERNS[s.pattern]!.length;
  if (p.phase === 'failed') return refuse(s, 'read', r, mid, t, 'state_failure');
  if (p.phase === 'handshake' && writerOf(p.msgIndex) === r) return refuse(s, 'read', r, mid, t, 'state_failure');
  if (p.phase === 'handshake') {
    if (m.handshake && m.idx === p.msgIndex && !t) {
      const done = p.msgIndex + 1 === len;
      return update(s, 'read', r, { ...p, msgIndex: p.msgIndex + 1, phase: done ? 'transport' : 'handshake', transcript: [...p.transcript, mid] }, s.sent, mid, t, 'ok');
    }
    return update(s, 'read', r, { ...p, phase: 'failed' }, s.sent, mid, t, 'auth_failure');
  }
  if (p.recvNonce >= MAX_NONCE) return refuse(s, 'read', r, mid, t, 'state_failure');
  if (!m.handshake && m.nonce === p.recvNonce && m.key === p.recvKey && !t) return update(s, 'read', r, { ...p, recvNonce: p.recvNonce + 1 }, s.sent, mid, t, 'ok');
  return refuse(s, 'read', r, mid, t, 'auth_failure');
}

function rekey(s: NState, r: Role, dir: 'send' | 'recv'): NState {
  const p = s.parties[r];
  const kind = `rekey-${dir}`;
  if (p.phase !== 'transport') return refuse(s, kind, r, -1, false, 'state_failure');
  return update(s, kind, r, dir === 'send' ? { ...p, sendKey: p.sendKey + 1 } : { ...p, recvKey: p.recvKey + 1 }, s.sent, -1, false, 'ok');
}

/** Every successor of s under the adversary's moves (the honest moves of `step` are special cases). */
export function successors(s: NState): NState[] {
  const out: NState[] = [];
  for (const r of ROLES) out.push(write(s, r));
  for (let i = 0; i < s.sent.length; i++) for (const t of [false, true]) {
    const n = deliver(s, i, t);
    if (n) out.push(n);
  }
  for (const r of ROLES) for (const d of ['send', 'recv'] as const) out.push(rekey(s, r, d));
  return out;
}

// ---- invariants (a transcription of the model's) ----
const transportOf = (s: NState, r: Role) => s.sent.filter((m) => !m.handshake && m.sender === r).map((m) => m.id);
const eq = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export const INVARIANTS: Record<string, (s: NState) => boolean> = {
  nonceNeverReused: (s) => ROLES.every((r) => new Set(transportOf(s, r).map((i) => s.sent[i]!.nonce)).size === transportOf(s, r).length),
  noNonceWrap: (s) => ROLES.every((r) => transportOf(s, r).every((id, k) => s.sent[id]!.nonce === k && k < MAX_NONCE)),
  turnTaking: (s) => s.sent.every((m) => !m.handshake || (m.sender === writerOf(m.idx) && s.sent.filter((x) => x.handshake && x.idx === m.idx).length === 1)),
  failedIsTerminal: (s) => ROLES.every((r) => s.prev[r].phase !== 'failed' || eq(s.parties[r], s.prev[r])),
  refusedHandshakeReadEnds: (s) => !(s.last.kind === 'read' && s.last.outcome !== 'ok' && s.prev[s.last.party as Role]?.phase === 'handshake' && writerOf(s.prev[s.last.party as Role]!.msgIndex) !== s.last.party) || s.parties[s.last.party as Role].phase === 'failed',
  transportInOrder: (s) => ROLES.every((r) => {
    const acc = s.accepted[r];
    const got = acc.filter((x) => !s.sent[x]!.handshake);
    const ts = transportOf(s, other(r));
    return new Set(acc).size === acc.length && got.length <= ts.length && got.every((x, k) => x === ts[k]);
  }),
  agreement: (s) => !(s.parties.I.phase === 'transport' && s.parties.R.phase === 'transport') || eq(s.parties.I.transcript, s.parties.R.transcript),
};

/** The search state key: everything but `prev` and `last` (ghosts of one step). */
const key = (s: NState) => JSON.stringify([s.pattern, s.parties, s.sent, s.accepted]);

export interface BfsResult { depth: number; states: number; transitions: number; perDepth: number[]; violations: string[] }

export function bfs(depth: number): BfsResult {
  let frontier = initial();
  const seen = new Set(frontier.map(key));
  const perDepth = [frontier.length];
  let transitions = 0;
  const violations: string[] = [];
  for (let d = 1; d <= depth; d++) {
    const next: NState[] = [];
    for (const s of frontier) for (const n of successors(s)) {
      transitions++;
      for (const [name, inv] of Object.entries(INVARIANTS)) if (!inv(n) && violations.length < 10) violations.push(`${name} at depth ${d}: ${JSON.stringify(n.last)}`);
      const k = key(n);
      if (!seen.has(k)) {
        seen.add(k);
        next.push(n);
      }
    }
    perDepth.push(next.length);
    frontier = next;
  }
  return { depth, states: seen.size, transitions, perDepth, violations };
}
