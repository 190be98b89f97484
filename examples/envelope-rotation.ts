// Envelope encryption with the embedded KEK ring: seal, rotate the KEK, rewrap, retire.
// The same calls work with AwsKmsKek, openPkcs11KekRing or openTpmKekRing as the KEK provider.
import { inspectEnvelope, LocalKekRing, openEnvelope, rewrapEnvelope, scanForRewrap, sealEnvelope } from '../reference/index.js';

export async function runEnvelopeRotation() {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const day = 24 * 3600 * 1000;
  // In production: LocalKekRing.open({ path: 'kek-ring.json' }) keeps the ring in a 0600 file.
  const kek = LocalKekRing.open({ kekId: 'orders', graceMs: 30 * day, clock: () => now });

  const context = { tenant: 'acme', table: 'orders' }; // bound as authenticated data
  const payload = new TextEncoder().encode('{"order": 42}');
  const first = await sealEnvelope(kek, payload, context); // a fresh 256-bit DEK for this payload
  const second = await sealEnvelope(kek, payload, context);

  await kek.rotate(); // version 2 becomes current; version 1 opens for the 30-day grace period
  now += 20 * day;
  const expiring = await scanForRewrap(kek, [{ ref: 'first', envelope: first }, { ref: 'second', envelope: second }], { now, horizonMs: 15 * day });
  const moved = await rewrapEnvelope(kek, first); // re-wraps the DEK only; the payload bytes stay
  now += 15 * day;
  await kek.retire(1); // grace over: version 1's key is destroyed

  const opened = new TextDecoder().decode(await openEnvelope(kek, moved, context));
  const stale = await openEnvelope(kek, second, context).catch((e: Error) => e.message);
  const wrongContext = await openEnvelope(kek, moved, { tenant: 'other', table: 'orders' }).catch((e: Error) => e.message);
  return {
    versions: [inspectEnvelope(first).kekVersion, inspectEnvelope(moved).kekVersion], // [1, 2]
    expiring: expiring.map((f) => `${f.ref}: v${f.kekVersion} ${f.status}`), // both, v1 expiring
    opened, // '{"order": 42}'
    stale, // names the retired KEK version 1
    wrongContext, // refused: the context is authenticated
  };
}

if (process.argv[1]?.endsWith('envelope-rotation.ts')) console.log(await runEnvelopeRotation());
