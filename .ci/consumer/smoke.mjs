/* global TextEncoder, TextDecoder */
// A new user's first program, run by plain node against the installed package: a Noise XX
// handshake, an X3DH + Double Ratchet session exchange, an envelope seal/open, and require().
import { createRequire } from 'node:module';
import { getProvider, toHex, VERSION, AgentsecError } from 'agentsec';
import { createNoiseChannel } from 'agentsec/noise';
import { SessionAgent } from 'agentsec/session';
import { LocalKekRing, sealEnvelope, openEnvelope } from 'agentsec/envelope';

const p = getProvider('noble');
const enc = (s) => new TextEncoder().encode(s);
const dec = (b) => new TextDecoder().decode(b);
const check = (cond, what) => {
  if (!cond) throw new Error(`consumer: ${what}`);
  console.log(`consumer: ok ${what}`);
};

const protocol = 'Noise_XX_25519_ChaChaPoly_SHA256';
const alice = createNoiseChannel({ protocol, initiator: true, staticPrivateKey: p.x25519.generateKeyPair().privateKey });
const bob = createNoiseChannel({ protocol, initiator: false, staticPrivateKey: p.x25519.generateKeyPair().privateKey });
bob.readMessage(alice.writeMessage());
alice.readMessage(bob.writeMessage());
bob.readMessage(alice.writeMessage());
check(alice.isHandshakeComplete && bob.isHandshakeComplete && toHex(alice.handshakeHash()) === toHex(bob.handshakeHash()), `Noise XX handshake (agentsec ${VERSION})`);
check(dec(bob.readMessage(alice.writeMessage(enc('over noise')))) === 'over noise', 'Noise transport message');

const a = SessionAgent.create(p, { kind: 'x3dh' });
const b = SessionAgent.create(p, { kind: 'x3dh' });
const first = a.initiate('bob', b.bundle(), enc('hello bob'));
check(dec(b.decrypt('alice', first)) === 'hello bob', 'X3DH session: first message');
check(dec(a.decrypt('bob', b.encrypt('alice', enc('hello alice')))) === 'hello alice', 'Double Ratchet reply');
let refused = false;
try {
  b.decrypt('alice', first);
} catch (e) {
  refused = e instanceof AgentsecError;
}
check(refused, 'a replayed message is refused with an AgentsecError');

const kek = LocalKekRing.open();
const ctx = { tenant: 'demo' };
const envelope = await sealEnvelope(kek, enc('secret payload'), ctx);
check(dec(await openEnvelope(kek, envelope, ctx)) === 'secret payload', 'envelope seal/open under a local KEK ring');

const require = createRequire(import.meta.url);
check(typeof require('agentsec').getProvider === 'function', "require('agentsec')");
