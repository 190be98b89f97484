/**
 * The endpoint's state: keys with their key material versions, aliases. Plain records, serialized
 * to the --state file (atomically, mode 0600) after each change.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../../../reference/atomic-file.js';
import type { KmsMode } from './blob.js';

export const ACCOUNT_ID = '000000000000';

export interface KeyMaterial {
  readonly id: string;
  readonly key: Buffer;
  /** Epoch seconds. */
  readonly createdAt: number;
  readonly rotationType?: 'AUTOMATIC' | 'ON_DEMAND';
  /** Harness-only: the material was destroyed (a retired KEK version); decrypts under it fail. */
  destroyed?: boolean;
}

export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';

export interface KmsKey {
  readonly keyId: string;
  readonly region: string;
  readonly createdAt: number;
  description: string;
  state: KeyState;
  deletionDate?: number;
  /** Oldest first; the last one is current. */
  readonly materials: KeyMaterial[];
  rotationEnabled: boolean;
  rotationPeriodDays?: number;
  nextRotationDate?: number;
  onDemandRotations: number;
  tags: { TagKey: string; TagValue: string }[];
}

export interface KmsState {
  readonly keys: Map<string, KmsKey>;
  /** alias name -> key id */
  readonly aliases: Map<string, string>;
}

export function keyArn(k: Pick<KmsKey, 'keyId' | 'region'>): string {
  return `arn:aws:kms:${k.region}:${ACCOUNT_ID}:key/${k.keyId}`;
}

export function aliasArn(region: string, name: string): string {
  return `arn:aws:kms:${region}:${ACCOUNT_ID}:${name}`;
}

export function emptyState(): KmsState {
  return { keys: new Map(), aliases: new Map() };
}

interface StateFile {
  format: 'agentsec-kms-state';
  version: 1;
  mode: KmsMode;
  keys: (Omit<KmsKey, 'materials'> & { materials: { id: string; key: string; createdAt: number; rotationType?: string }[] })[];
  aliases: [string, string][];
}

export function saveState(path: string, mode: KmsMode, s: KmsState): void {
  const body: StateFile = {
    format: 'agentsec-kms-state',
    version: 1,
    mode,
    keys: [...s.keys.values()].map((k) => ({ ...k, materials: k.materials.map((m) => ({ ...m, key: m.key.toString('base64') })) })),
    aliases: [...s.aliases.entries()],
  };
  writeFileAtomic(path, JSON.stringify(body) + '\n');
}

export function loadState(path: string, mode: KmsMode): KmsState {
  if (!existsSync(path)) return emptyState();
  const f = JSON.parse(readFileSync(path, 'utf8')) as StateFile;
  if (f.format !== 'agentsec-kms-state' || f.version !== 1) throw new Error(`${path}: not an agentsec KMS state file (version 1)`);
  if (f.mode !== mode) throw new Error(`${path}: state was written in mode ${f.mode}, not ${mode} (blobs are not interchangeable)`);
  const keys = new Map<string, KmsKey>();
  for (const k of f.keys) {
    keys.set(k.keyId, {
      ...k,
      materials: k.materials.map((m) => ({
        id: m.id,
        key: Buffer.from(m.key, 'base64'),
        createdAt: m.createdAt,
        ...((m as { destroyed?: boolean }).destroyed ? { destroyed: true } : {}),
        ...(m.rotationType ? { rotationType: m.rotationType as 'AUTOMATIC' | 'ON_DEMAND' } : {}),
      })),
    });
  }
  return { keys, aliases: new Map(f.aliases) };
}

/** Puts `from` in place of `into`'s contents (the endpoint hands out `into` by reference). */
export function replaceState(into: KmsState, from: KmsState): void {
  into.keys.clear();
  for (const [k, v] of from.keys) into.keys.set(k, v);
  into.aliases.clear();
  for (const [k, v] of from.aliases) into.aliases.set(k, v);
}

/** The state file is written atomically (temp file, fsync, rename). */
function writeFileAtomic(path: string, text: string): void {
  // @req KMS-032
  writeFileAtomicSync(path, text);
}
