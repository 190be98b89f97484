/**
 * Explicit-state breadth-first search over a TypeScript transcription of a model's transition
 * relation (spec/models.md MODEL-054): every invariant checked in every successor, distinct states
 * counted (the key leaves out the one-step ghosts `last` and `prev`).
 */
export interface BfsResult {
  depth: number;
  states: number;
  transitions: number;
  perDepth: number[];
  violations: string[];
}

export interface Transcription<S> {
  initial(): S[];
  successors(s: S): S[];
  key(s: S): string;
  invariants: Record<string, (s: S) => boolean>;
  describe(s: S): string;
}

export function explore<S>(t: Transcription<S>, depth: number): BfsResult {
  let frontier = t.initial();
  const seen = new Set(frontier.map((s) => t.key(s)));
  const perDepth = [frontier.length];
  let transitions = 0;
  const violations: string[] = [];
  for (let d = 1; d <= depth; d++) {
    const next: S[] = [];
    for (const s of frontier) for (const n of t.successors(s)) {
      transitions++;
      for (const [name, inv] of Object.entries(t.invariants)) if (violations.length < 10 && !inv(n)) violations.push(`${name} at depth ${d}: ${t.describe(n)}`);
      const k = t.key(n);
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
