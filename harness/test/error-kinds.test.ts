import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentsecError, ERROR_KINDS } from '../../reference/index.js';
import { MethodNotFound, ReferenceDispatcher } from '../../adapter/index.js';

const junk = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 8 }),
  fc.constantFrom('', '00', 'zz', '0', 'ff'.repeat(32), 'ab'.repeat(1200), '-1', '18446744073709551616', 'Noise_XX_25519_ChaChaPoly_SHA256', 'send', 'recv', 'x3dh', 'pqxdh'),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
);

const PARAM_NAMES = ['id', 'protocol', 'initiator', 'prologue', 's', 'e', 'rs', 'psks', 'payload', 'message', 'direction', 'n', 'name', 'kind', 'agent', 'peer', 'bundle', 'plaintext', 'state', 'context', 'envelope', 'alg', 'key', 'nonce', 'ad', 'ciphertext', 'hash', 'ikm', 'salt', 'info', 'length', 'public', 'private', 'secret', 'signature', 'm'];

describe('error kinds on the adapter surface', () => {
  it('CONV-001 CONV-004: any method with any malformed params is refused with a kind from the closed set, never an untyped exception', async () => {
    const d = new ReferenceDispatcher();
    d.hello({ protocol: 1 });
    const methods = d.areas.flatMap((a) => Object.keys(a.methods));
    expect(methods.length).toBeGreaterThan(15);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...methods, 'free', 'no.such.method'), fc.dictionary(fc.constantFrom(...PARAM_NAMES), junk, { maxKeys: 6 }), async (method, params) => {
        try {
          await d.call(method, params as Record<string, unknown>);
        } catch (e) {
          if (e instanceof MethodNotFound) return method === 'no.such.method';
          expect(e).toBeInstanceOf(AgentsecError);
          expect(ERROR_KINDS).toContain((e as AgentsecError).kind);
        }
        return true;
      }),
      { numRuns: 1500, seed: 20261129 },
    );
  });

  it('CONV-001: the wire form carries the kind in error.data.kind', async () => {
    const d = new ReferenceDispatcher();
    const line = await d.handleLine(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'hello', params: { protocol: 2 } }));
    const r = JSON.parse(line!) as { error: { code: number; data: { kind: string } } };
    expect(r.error.code).toBe(-32000);
    expect(r.error.data.kind).toBe('unsupported');
  });
});
