// Bob is reachable while offline: he publishes signed prekey bundles to a directory, saves his
// state and leaves. Alice fetches one bundle and leaves three messages (PQXDH + Double Ratchet) in
// Bob's mailbox at the directory; Bob restarts from his saved state, fetches his queue, decrypts it
// in arrival order and acknowledges it. Every request is signed by the agent's identity key.
// Run it: npx tsx examples/async-directory.ts
import { agentOptionsFromConfig, exportAgent, getProvider, importAgent, parseSecurityConfig, SessionAgent } from '../reference/index.js';
import { agentSigner, DirectoryClient } from '../services/directory/client.js';
import { openStore } from '../services/directory/open-store.js';
import { publishToDirectory } from '../services/directory/publish.js';
import { startDirectory } from '../services/directory/server.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

export async function runAsyncDirectory() {
  const p = getProvider('noble');
  // Signal_PQXDH_Ratchet is the default asyncMessaging; 10 one-time prekeys per published batch.
  const config = parseSecurityConfig({ handshake: { prekeyBatchSize: 10 } });
  // In a deployment: `agentsec directory serve --store sqlite:dir.db` and its printed URL.
  const directory = await startDirectory({ store: await openStore('sqlite:') });
  const storageKey = p.randomBytes(32); // in a deployment: a DEK from the KMS (envelope encryption)
  try {
    // Bob publishes his bundles (the first publication pins the name "bob" to his identity key);
    // his state is saved before the upload, then he goes offline.
    let bobRecord: Uint8Array = new Uint8Array();
    const bob = SessionAgent.fromConfig(p, config);
    await publishToDirectory(bob, new DirectoryClient(directory.url, { signer: agentSigner('bob', bob.identity) }), 'bob', config.handshake.prekeyBatchSize, {
      persist: (agent) => void (bobRecord = exportAgent(p, agent, storageKey)),
    });

    // Alice publishes too (a directory serves registered agents), fetches one of Bob's bundles
    // (initiate checks every signature) and leaves three messages in his mailbox.
    const alice = SessionAgent.fromConfig(p, config);
    const aliceAtDirectory = new DirectoryClient(directory.url, { signer: agentSigner('alice', alice.identity) });
    await publishToDirectory(alice, aliceAtDirectory, 'alice', config.handshake.prekeyBatchSize);
    const { bundle } = await aliceAtDirectory.fetchBundle('bob');
    const outbox = [alice.initiate('bob', bundle, enc('hello bob')), alice.encrypt('bob', enc('are you there?')), alice.encrypt('bob', enc('bye'))];
    // Each message has an id of Alice's choosing: resending after a lost answer stores nothing twice.
    for (const [i, m] of outbox.entries()) await aliceAtDirectory.send('bob', `alice-${i}`, m);

    // Bob restarts: restore with the same config's limits, fetch the queue, decrypt in arrival
    // order, acknowledge (acknowledged messages are never handed out again), reply.
    const back = importAgent(p, bobRecord, storageKey, { limits: agentOptionsFromConfig(config).limits });
    const bobAtDirectory = new DirectoryClient(directory.url, { signer: agentSigner('bob', back.identity) });
    const queue = await bobAtDirectory.inbox();
    const received = queue.map((m) => dec(back.decrypt(m.from, m.message)));
    await bobAtDirectory.ack(queue.map((m) => m.seq));
    await bobAtDirectory.send('alice', 'bob-0', back.encrypt('alice', enc('got them')));
    const [answer] = await aliceAtDirectory.inbox();
    const reply = dec(alice.decrypt('bob', answer!.message));

    // Upkeep, e.g. weekly: a new signed prekey (the old one still opens initial messages for the
    // grace period), drop expired ones, and publish a fresh batch.
    back.rotateSignedPrekey();
    back.prune();
    await publishToDirectory(back, bobAtDirectory, 'bob', config.handshake.prekeyBatchSize);
    return { received, reply, left: (await bobAtDirectory.inbox()).length, prekeys: back.prekeyStatus(), directory: await bobAtDirectory.info('bob') };
  } finally {
    await directory.close();
  }
}

if (process.argv[1]?.endsWith('async-directory.ts')) console.log(await runAsyncDirectory());
