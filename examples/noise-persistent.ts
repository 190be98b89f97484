// A Noise transport session that survives a crash without reusing a nonce. After the handshake each
// side hands its transport state to a NoiseExplicitNonceChannel backed by a file (written
// atomically, sealed under a storage key kept elsewhere). The sender reserves nonces in blocks and
// stores the reservation before using them; after a crash it resumes past the reservation. Each
// frame carries its nonce, so the receiver follows the jump and refuses replays.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNoiseChannel, FileNoiseStateStore, getProvider, NoiseExplicitNonceChannel } from '../reference/index.js';

const PROTOCOL = 'Noise_XX_25519_ChaChaPoly_SHA256';
const text = (s: string) => new TextEncoder().encode(s);

export function runPersistentSession() {
  const provider = getProvider('noble');
  const dir = mkdtempSync(join(tmpdir(), 'agentsec-noise-example-'));
  const storageKey = provider.randomBytes(32); // in production: unwrapped from the KMS at start-up
  try {
    // 1. An ordinary Noise XX handshake (in memory here; over TCP see noise-tcp-example).
    const alice = createNoiseChannel({ protocol: PROTOCOL, initiator: true, staticPrivateKey: provider.x25519.generateKeyPair().privateKey });
    const bob = createNoiseChannel({ protocol: PROTOCOL, initiator: false, staticPrivateKey: provider.x25519.generateKeyPair().privateKey });
    bob.readMessage(alice.writeMessage());
    alice.readMessage(bob.writeMessage());
    bob.readMessage(alice.writeMessage());

    // 2. Each side hands its transport state to a persistent channel (a store is required).
    const aliceStore = new FileNoiseStateStore(join(dir, 'alice.noise'));
    const bobStore = new FileNoiseStateStore(join(dir, 'bob.noise'));
    let a = NoiseExplicitNonceChannel.fromHandshake(alice, { store: aliceStore, storageKey });
    const b = NoiseExplicitNonceChannel.fromHandshake(bob, { store: bobStore, storageKey });

    const received: string[] = [];
    for (const m of ['one', 'two', 'three']) received.push(new TextDecoder().decode(b.receive(a.send(text(m)))));
    const lastFrame = a.send(text('four'));
    received.push(new TextDecoder().decode(b.receive(lastFrame)));
    const nonceBeforeCrash = a.sendNonce; // 4: nonces 0..3 used, 0..1023 reserved on disk

    // 3. Crash: Alice's in-memory state is lost; she restores from her file.
    a = NoiseExplicitNonceChannel.restore({ store: aliceStore, storageKey });
    const nonceAfterCrash = a.sendNonce; // 1024: the unused reservation is skipped, never reused
    received.push(new TextDecoder().decode(b.receive(a.send(text('after the crash')))));

    // 4. A replayed frame is refused, also by a restored receiver.
    let replay = '';
    try {
      NoiseExplicitNonceChannel.restore({ store: bobStore, storageKey }).receive(lastFrame);
    } catch (e) {
      replay = (e as { kind: string }).kind; // 'duplicate'
    }
    return { received, nonceBeforeCrash, nonceAfterCrash, replay };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('noise-persistent.ts')) console.log(runPersistentSession());
