// Bob is reachable while offline: he publishes signed prekey bundles to a directory, saves his
// state and leaves. Alice fetches one bundle and sends (PQXDH + Double Ratchet); Bob restores his
// saved state later and reads everything, in any order. Run it: npx tsx examples/async-directory.ts
import { agentOptionsFromConfig, exportAgent, getProvider, importAgent, parseSecurityConfig, SessionAgent } from '../reference/index.js';
import { DirectoryClient } from '../services/directory/client.js';
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
  const directory = await startDirectory({ store: await openStore('sqlite:'), provider: p });
  const client = new DirectoryClient(directory.url);
  const storageKey = p.randomBytes(32); // in a deployment: a DEK from the KMS (envelope encryption)
  try {
    // Bob publishes his bundles; his state is saved before the upload, then he goes offline.
    let bobRecord: Uint8Array = new Uint8Array();
    const bob = SessionAgent.fromConfig(p, config);
    await publishToDirectory(bob, client, 'bob', config.handshake.prekeyBatchSize, {
      persist: (agent) => void (bobRecord = exportAgent(p, agent, storageKey)),
    });

    // Alice fetches a bundle (every signature is checked) and sends three messages.
    const alice = SessionAgent.fromConfig(p, config);
    const { bundle } = await client.fetchBundle('bob');
    const inbox = [alice.initiate('bob', bundle, enc('hello bob')), alice.encrypt('bob', enc('are you there?')), alice.encrypt('bob', enc('bye'))];

    // Bob comes back: restore with the same config's limits, read the inbox newest first, reply.
    const back = importAgent(p, bobRecord, storageKey, { limits: agentOptionsFromConfig(config).limits });
    const received = inbox.reverse().map((m) => dec(back.decrypt('alice', m)));
    const reply = dec(alice.decrypt('bob', back.encrypt('alice', enc('got them'))));

    // Upkeep, e.g. weekly: a new signed prekey (the old one still opens initial messages for the
    // grace period), drop expired ones, and publish a fresh batch.
    back.rotateSignedPrekey();
    back.prune();
    await publishToDirectory(back, client, 'bob', config.handshake.prekeyBatchSize);
    return { received, reply, prekeys: back.prekeyStatus(), directory: await client.info('bob') };
  } finally {
    await directory.close();
  }
}

if (process.argv[1]?.endsWith('async-directory.ts')) console.log(await runAsyncDirectory());
