/** The data-key cache is scoped by KEK and KEK version as well as by context (spec/envelope.md ENV-044). */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../bytes.js';
import { DataKeyCache } from '../envelope/cache.js';
import { inspect as inspectEnvelope, open, seal } from '../envelope/envelope.js';
import { LocalKekRing } from '../envelope/index.js';

const ctx = { tenant: 't1' };

describe('data-key cache scope', () => {
  it('ENV-044: two KEKs with one kekId sharing a cache each seal under their own key', async () => {
    const cache = new DataKeyCache({ maxMessages: 100, maxAgeMs: 60_000 });
    const a = LocalKekRing.open({ kekId: 'local:same' });
    const b = LocalKekRing.open({ kekId: 'local:same' });
    const ea = await seal(a, utf8('for a'), ctx, { cache });
    const eb = await seal(b, utf8('for b'), ctx, { cache });
    expect(new TextDecoder().decode(await open(a, ea, ctx))).toBe('for a');
    expect(new TextDecoder().decode(await open(b, eb, ctx))).toBe('for b');
    expect(cache.stats.created).toBe(2);
    // Within one KEK and version the cache still serves repeated seals.
    await seal(a, utf8('again'), ctx, { cache });
    expect(cache.stats).toEqual({ created: 2, hits: 1 });
  });

  it('ENV-044: after a rotation (without clear) the next seal is under the new version', async () => {
    const cache = new DataKeyCache({ maxMessages: 100, maxAgeMs: 60_000 });
    const kek = LocalKekRing.open({ kekId: 'local:rot' });
    const before = await seal(kek, utf8('v1'), ctx, { cache });
    expect(inspectEnvelope(before).kekVersion).toBe(1);
    expect(await kek.rotate()).toBe(2);
    const after = await seal(kek, utf8('v2'), ctx, { cache });
    expect(inspectEnvelope(after).kekVersion).toBe(2);
    await kek.retire(1);
    expect(new TextDecoder().decode(await open(kek, after, ctx))).toBe('v2');
  });
});
