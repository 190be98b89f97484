/**
 * Content-addressed publication of public identity documents. A CID (CIDv1) names the canonical
 * document bytes: multibase base32 ('b') of varint(1) || varint(0x0200 json) || multihash
 * (0x12 sha2-256, 0x20, digest), built and parsed by multiformats so any IPFS tool agrees. Anyone holding a CID can check the bytes they fetched.
 * The default store is a local folder with one file per CID.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';
import { equalBytes } from '../bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { AgentsecError } from '../errors.js';
import { canonicalJsonBytes } from './canonical-json.js';
import { writeFileAtomic } from '../atomic-file.js';
import { ensurePrivateDir } from './private-file.js';
import { buildDidDocument, parseDidDocument, validateDidDocument, type DidDocument, type ValidatedDidDocument } from './did-document.js';

export const CID_VERSION = 1;
export const CODEC_JSON = 0x0200;
export const MULTIHASH_SHA2_256 = 0x12;

export function computeCid(bytes: Uint8Array, provider: CryptoProvider): string {
  const digest = provider.hash('SHA-256', bytes);
  // @req ID-008
  return CID.create(CID_VERSION, CODEC_JSON, Digest.create(MULTIHASH_SHA2_256, digest)).toString();
}

/** Parses a CID string of the form this store issues; returns the sha2-256 digest it names. */
export function parseCid(cid: unknown): Uint8Array {
  if (typeof cid !== 'string' || !cid.startsWith('b') || cid.length > 80) {
    throw new AgentsecError('decode_failure', 'CID_SYNTAX', 'CID expected a base32 multibase string starting with "b"');
  }
  let parsed: CID;
  try {
    parsed = CID.parse(cid);
  } catch (e) {
    throw new AgentsecError('decode_failure', 'BAD_BASE32', `CID: not a canonical base32 CID (${(e as Error).message})`);
  }
  // One document, one name: a string that re-encodes differently (e.g. other trailing bits) is refused.
  // (CID.parse caches the input string, so the canonical form is rebuilt from the bytes.)
  if (CID.decode(parsed.bytes).toString() !== cid) throw new AgentsecError('decode_failure', 'BAD_BASE32', 'CID: not the canonical base32 encoding');
  if (parsed.version !== CID_VERSION || parsed.code !== CODEC_JSON) {
    throw new AgentsecError('unsupported', 'CID_CODEC', `CID: expected CIDv1 with the json codec (0x200), got v${parsed.version} codec 0x${parsed.code.toString(16)}`);
  }
  if (parsed.multihash.code !== MULTIHASH_SHA2_256 || parsed.multihash.size !== 32) {
    throw new AgentsecError('unsupported', 'CID_MULTIHASH', 'CID: expected a 32-byte sha2-256 multihash');
  }
  return parsed.multihash.digest.slice();
}

export interface ContentStore {
  /** Stores bytes under their CID (idempotent) and returns it. */
  put(bytes: Uint8Array): Promise<string>;
  /** Returns the bytes named by the CID, checked against it; throws state_failure if absent. */
  get(cid: string): Promise<Uint8Array>;
}

export class DirectoryContentStore implements ContentStore {
  constructor(
    readonly dir: string,
    private readonly provider: CryptoProvider,
  ) {}

  async put(bytes: Uint8Array): Promise<string> {
    const cid = computeCid(bytes, this.provider);
    await ensurePrivateDir(this.dir);
    try {
      await writeFileAtomic(join(this.dir, cid), bytes, { exclusive: true });
    } catch (e) {
      // Same CID means same bytes: a second put is a no-op.
      if (!(e instanceof AgentsecError && e.reason === 'FILE_EXISTS')) throw e;
    }
    return cid;
  }

  async get(cid: string): Promise<Uint8Array> {
    const digest = parseCid(cid);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(join(this.dir, cid)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AgentsecError('state_failure', 'CID_NOT_FOUND', `no content stored under ${cid}`);
      throw e;
    }
    if (!equalBytes(this.provider.hash('SHA-256', bytes), digest)) {
      // @req ID-009
      throw new AgentsecError('auth_failure', 'CID_MISMATCH', `content stored under ${cid} does not hash to its CID`);
    }
    return bytes;
  }
}

/**
 * Publishes a DID document: validates it first (only a valid, public document is ever published),
 * then stores its canonical bytes. Returns the CID.
 */
export async function publishDidDocument(doc: DidDocument, store: ContentStore, provider: CryptoProvider): Promise<string> {
  validateDidDocument(doc, provider); // @req ID-010
  return store.put(canonicalJsonBytes(doc));
}

/** Builds, signs and publishes an identity's DID document; returns its CID and the document. */
export async function publishIdentity(
  identity: { signingPublic: Uint8Array; agreementPublic: Uint8Array; sign(msg: Uint8Array): Promise<Uint8Array> | Uint8Array },
  store: ContentStore,
  provider: CryptoProvider,
): Promise<{ cid: string; document: DidDocument }> {
  const document = await buildDidDocument(identity);
  return { cid: await publishDidDocument(document, store, provider), document };
}

/** Fetches a published document by CID and validates it. */
export async function resolvePublishedDocument(cid: string, store: ContentStore, provider: CryptoProvider): Promise<ValidatedDidDocument> {
  return parseDidDocument(await store.get(cid), provider);
}
