/**
 * Planted-bug adapters for the fuzz tests: the reference's own adapter with one method rewritten,
 * served over agentsec-adapter/1 on stdio. Run as
 *   node --import tsx harness/test/fuzz-mutants/adapter.ts <mutant>
 * Test code only: the bugs live here, never in the reference or its adapter.
 */
import { createInterface } from 'node:readline';
import { AgentsecError } from '../../../reference/errors.js';
import type { NoiseChannel } from '../../../reference/index.js';
import type { Area, Handler } from '../../../adapter/area.js';
import { REFERENCE_AREAS, ReferenceDispatcher } from '../../../adapter/index.js';

type Rewrite = (inner: Handler) => Handler;

/** Decrypted messages (hex) and what they decrypted to, for the session mutants. */
const seen = new Map<string, unknown>();
/** Agents that came from session.import. */
const imported = new Set<string>();

export const MUTANTS: Record<string, { what: string; rewrites: Record<string, Rewrite> }> = {
  'noise-nonce-advance-on-failure': {
    what: 'a transport message that fails to decrypt still advances the receive nonce (NOISE-014)',
    rewrites: {
      'noise.read': (inner) => async (p, ctx) => {
        try {
          return await inner(p, ctx);
        } catch (e) {
          const ch = ctx.objects.get<NoiseChannel>(p.id, 'noise');
          if (e instanceof AgentsecError && e.kind === 'auth_failure' && ch.isHandshakeComplete) ch.setNonce('recv', ch.nonce('recv') + 1n);
          throw e;
        }
      },
    },
  },
  'crash-on-auth-failure': {
    what: 'the process exits when a Noise transport message fails to decrypt (robustness of the fuzzer)',
    rewrites: {
      'noise.read': (inner) => async (p, ctx) => {
        try {
          return await inner(p, ctx);
        } catch (e) {
          if (e instanceof AgentsecError && e.kind === 'auth_failure') process.exit(3);
          throw e;
        }
      },
    },
  },
  'hang-on-auth-failure': {
    what: 'the process stops answering when a Noise transport message fails to decrypt (robustness of the fuzzer)',
    rewrites: {
      'noise.read': (inner) => async (p, ctx) => {
        try {
          return await inner(p, ctx);
        } catch (e) {
          if (e instanceof AgentsecError && e.kind === 'auth_failure') await new Promise(() => {});
          throw e;
        }
      },
    },
  },
  'noise-rekey-recv-ignored': {
    what: 'rekey of the receiving CipherState does nothing (NOISE-016)',
    rewrites: {
      'noise.rekey': (inner) => async (p, ctx) => (p.direction === 'recv' ? {} : inner(p, ctx)),
    },
  },
  'session-replay-accepted': {
    what: 'a message delivered twice decrypts again (DR-009)',
    rewrites: {
      'session.decrypt': (inner) => async (p, ctx) => {
        try {
          const r = await inner(p, ctx);
          seen.set(String(p.message), r);
          return r;
        } catch (e) {
          if (e instanceof AgentsecError && e.kind === 'duplicate' && seen.has(String(p.message))) return seen.get(String(p.message));
          throw e;
        }
      },
    },
  },
  'session-restore-forgets-received': {
    what: 'a restored (imported) state decrypts again what its original had received (DR-013, DR-009)',
    rewrites: {
      'session.import': (inner) => async (p, ctx) => {
        const r = (await inner(p, ctx)) as { agent: string };
        imported.add(r.agent);
        return r;
      },
      'session.decrypt': (inner) => async (p, ctx) => {
        try {
          const r = await inner(p, ctx);
          seen.set(String(p.message), r);
          return r;
        } catch (e) {
          if (imported.has(String(p.agent)) && seen.has(String(p.message))) return seen.get(String(p.message));
          throw e;
        }
      },
    },
  },
  'env-rewrap-noop': {
    what: 'rewrap returns the envelope unchanged, still under the old KEK version (ENV-020)',
    rewrites: {
      'envelope.rewrap': () => async (p) => ({ envelope: p.envelope }),
    },
  },
  'env-rewrap-swallows-throttling': {
    what: 'rewrap answers a throttled KMS with the envelope unchanged instead of an error (ENV-018, ENV-020)',
    rewrites: {
      'envelope.rewrap': (inner) => async (p, ctx) => {
        try {
          return await inner(p, ctx);
        } catch (e) {
          if (e instanceof AgentsecError && /Throttling/.test(e.message)) return { envelope: p.envelope };
          throw e;
        }
      },
    },
  },
  'session-restore-drops-older-sessions': {
    what: 'an imported state keeps only the current session with each peer: late messages of an older session fail after a restart (SESS-006, SESS-008)',
    rewrites: {
      'session.import': (inner) => async (p, ctx) => {
        const r = (await inner(p, ctx)) as { agent: string };
        const agent = ctx.objects.get<{ st: { peers: Array<{ previous: unknown[] }> } }>(r.agent, 'agent');
        agent.st = { ...agent.st, peers: agent.st.peers.map((x) => ({ ...x, previous: [] })) };
        return r;
      },
    },
  },
  'env-context-ignored': {
    what: 'the encryption context is not bound: seal and open ignore it (ENV-010)',
    rewrites: {
      'envelope.seal': (inner) => async (p, ctx) => inner({ ...p, context: {} }, ctx),
      'envelope.open': (inner) => async (p, ctx) => inner({ ...p, context: {} }, ctx),
    },
  },
};

function mutate(areas: readonly Area[], rewrites: Record<string, Rewrite>): Area[] {
  return areas.map((a) => ({
    ...a,
    methods: Object.fromEntries(Object.entries(a.methods).map(([name, h]) => [name, rewrites[name] ? rewrites[name](h) : h])),
  }));
}

async function main(): Promise<void> {
  const name = process.argv[2] ?? '';
  const m = MUTANTS[name];
  if (!m) {
    process.stderr.write(`unknown mutant "${name}" (one of ${Object.keys(MUTANTS).join(', ')})\n`);
    process.exit(2);
  }
  const dispatcher = new ReferenceDispatcher({ areas: mutate(REFERENCE_AREAS, m.rewrites) });
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    const response = await dispatcher.handleLine(line);
    if (response !== undefined) process.stdout.write(`${response}\n`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/harness\//, '/harness/'))) await main();
