/**
 * The KMS operations (spec/kms.md). Each takes the parsed JSON request and returns the JSON
 * response, or throws a KmsError with AWS's error type. Blobs travel base64-encoded.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseBlob, sealBlob, type KmsMode } from './blob.js';
import { KmsError } from './errors.js';
import { ACCOUNT_ID, aliasArn, keyArn, type KmsKey, type KmsState } from './model.js';
import { dict } from '../../../reference/dict.js';

export interface OpContext {
  readonly state: KmsState;
  readonly mode: KmsMode;
  readonly region: string;
  /** Milliseconds since the epoch (a fake clock in tests drives automatic rotation). */
  readonly now: () => number;
  readonly onDemandRotationLimit: number;
}

type Req = Record<string, unknown>;
type Op = (req: Req, c: OpContext) => Record<string, unknown>;

const DAY_S = 86400;
const secs = (c: OpContext): number => Math.floor(c.now() / 1000);
const validation = (m: string): KmsError => new KmsError('ValidationException', m);

function str(req: Req, name: string, required: true): string;
function str(req: Req, name: string, required?: false): string | undefined;
function str(req: Req, name: string, required = false): string | undefined {
  const v = req[name];
  if (v === undefined || v === null) {
    if (required) throw validation(`1 validation error detected: Value null at '${lower(name)}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof v !== 'string') throw new KmsError('SerializationException', `${name} must be a string`);
  return v;
}

function int(req: Req, name: string): number | undefined {
  const v = req[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new KmsError('SerializationException', `${name} must be an integer`);
  return v;
}

function blob(req: Req, name: string, required: boolean): Buffer | undefined {
  const v = str(req, name, required as true);
  if (v === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new KmsError('SerializationException', `${name} is not base64`);
  return Buffer.from(v, 'base64');
}

function context(req: Req, name: string): Record<string, string> {
  const v = req[name];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new KmsError('SerializationException', `${name} must be a map`);
  // @req KMS-050: a null-prototype map: "__proto__", "constructor", ... bind like any other key.
  const out = dict<string>();
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val !== 'string') throw new KmsError('SerializationException', `${name}.${k} must be a string`);
    out[k] = val;
  }
  return out;
}

function tagsParam(req: Req): { TagKey: string; TagValue: string }[] {
  const v = req.Tags;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new KmsError('SerializationException', 'Tags must be a list');
  return v.map((t: unknown) => {
    const o = t as { TagKey?: unknown; TagValue?: unknown } | null;
    if (typeof o !== 'object' || o === null || typeof o.TagKey !== 'string' || typeof o.TagValue !== 'string') {
      throw new KmsError('SerializationException', 'each tag needs string TagKey and TagValue');
    }
    return { TagKey: o.TagKey, TagValue: o.TagValue };
  });
}

const lower = (s: string): string => s[0]!.toLowerCase() + s.slice(1);

/** Resolves a key id, key ARN, alias name or alias ARN. */
export function resolveKey(c: OpContext, ref: string): KmsKey {
  let id = ref;
  const aliasArnMatch = /^arn:aws:kms:([^:]+):(\d{12}):(alias\/.+)$/.exec(ref);
  const keyArnMatch = /^arn:aws:kms:([^:]+):(\d{12}):key\/(.+)$/.exec(ref);
  // @req KMS-051: an ARN of another region or account names no key of this endpoint.
  const foreign = (m: RegExpExecArray | null): boolean => m !== null && (m[1] !== c.region || m[2] !== ACCOUNT_ID);
  if (foreign(aliasArnMatch) || foreign(keyArnMatch)) throw new KmsError('NotFoundException', `${aliasArnMatch ? 'Alias' : 'Key'} '${ref}' does not exist`);
  if (ref.startsWith('alias/') || aliasArnMatch) {
    const name = aliasArnMatch ? aliasArnMatch[3]! : ref;
    const target = c.state.aliases.get(name);
    if (!target) throw new KmsError('NotFoundException', `Alias ${aliasArn(c.region, name)} is not found.`);
    id = target;
  } else if (keyArnMatch) {
    id = keyArnMatch[3]!;
  }
  const k = c.state.keys.get(id);
  if (!k) throw new KmsError('NotFoundException', `Key '${ref.startsWith('arn:') ? ref : keyArn({ keyId: id, region: c.region })}' does not exist`);
  return k;
}

function usable(k: KmsKey): void {
  if (k.state === 'Disabled') throw new KmsError('DisabledException', `${keyArnOf(k)} is disabled.`);
  if (k.state === 'PendingDeletion') throw new KmsError('KMSInvalidStateException', `${keyArnOf(k)} is pending deletion.`);
}

const keyArnOf = (k: KmsKey): string => keyArn(k);

function notPendingDeletion(k: KmsKey): void {
  if (k.state === 'PendingDeletion') throw new KmsError('KMSInvalidStateException', `${keyArnOf(k)} is pending deletion.`);
}

function newMaterial(c: OpContext, rotationType?: 'AUTOMATIC' | 'ON_DEMAND', key?: Buffer): KmsKey['materials'][number] {
  return { id: randomBytes(32).toString('hex'), key: key ?? randomBytes(32), createdAt: secs(c), ...(rotationType ? { rotationType } : {}) };
}

const current = (k: KmsKey): KmsKey['materials'][number] => k.materials[k.materials.length - 1]!;

/** Rotations whose time has come on the (possibly fake) clock; LocalStack never rotates by itself. */
export function runAutomaticRotations(c: OpContext): boolean {
  if (c.mode !== 'aws') return false;
  let changed = false;
  for (const k of c.state.keys.values()) {
    while (k.rotationEnabled && k.state === 'Enabled' && k.nextRotationDate !== undefined && k.nextRotationDate <= secs(c)) {
      k.materials.push(newMaterial(c, 'AUTOMATIC'));
      k.nextRotationDate += (k.rotationPeriodDays ?? 365) * DAY_S;
      changed = true;
    }
  }
  return changed;
}

function metadata(k: KmsKey): Record<string, unknown> {
  return {
    AWSAccountId: '000000000000',
    KeyId: k.keyId,
    Arn: keyArn(k),
    CreationDate: k.createdAt,
    Enabled: k.state === 'Enabled',
    Description: k.description,
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: k.state,
    ...(k.deletionDate !== undefined ? { DeletionDate: k.deletionDate } : {}),
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
    KeySpec: 'SYMMETRIC_DEFAULT',
    EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    MultiRegion: false,
    CurrentKeyMaterialId: current(k).id,
  };
}

/** Decrypts a blob: strict blobs name their material; LocalStack blobs are tried against current, then previous material. */
function decryptBlob(c: OpContext, ciphertext: Buffer, ctx: Record<string, string>, keyRef: string | undefined): { key: KmsKey; materialId: string; plaintext: Buffer } {
  const parsed = parseBlob(c.mode, ciphertext);
  const key = c.state.keys.get(parsed.keyId);
  if (keyRef !== undefined) {
    const named = resolveKey(c, keyRef);
    // @req KMS-005
    if (!key || named.keyId !== key.keyId) throw new KmsError('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.');
  }
  if (!key) throw new KmsError('InvalidCiphertextException', 'The ciphertext refers to a key that does not exist');
  usable(key);
  const candidates = parsed.materialId !== undefined ? key.materials.filter((m) => m.id === parsed.materialId) : [...key.materials].reverse();
  for (const m of candidates) {
    if (m.destroyed) {
      if (parsed.materialId !== undefined) throw new KmsError('KMSInvalidStateException', `key material ${m.id} of ${keyArnOf(key)} has been destroyed`);
      continue;
    }
    const pt = parsed.open(m.key, ctx);
    if (pt) return { key, materialId: m.id, plaintext: pt };
  }
  throw new KmsError('InvalidCiphertextException', 'The ciphertext is invalid or the encryption context does not match');
}

function dataKeyLength(req: Req): number {
  const spec = str(req, 'KeySpec');
  const n = int(req, 'NumberOfBytes');
  if ((spec === undefined) === (n === undefined)) throw validation('Please specify either number of bytes or key spec.');
  if (spec !== undefined) {
    if (spec !== 'AES_256' && spec !== 'AES_128') throw validation(`1 validation error detected: Value '${spec}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]`);
    return spec === 'AES_256' ? 32 : 16;
  }
  if (n! < 1 || n! > 1024) throw validation(`1 validation error detected: Value '${n}' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024`);
  return n!;
}

export const OPS: Record<string, Op> = {
  CreateKey(req, c) {
    const usage = str(req, 'KeyUsage') ?? 'ENCRYPT_DECRYPT';
    const spec = str(req, 'KeySpec') ?? str(req, 'CustomerMasterKeySpec') ?? 'SYMMETRIC_DEFAULT';
    if (usage !== 'ENCRYPT_DECRYPT' || spec !== 'SYMMETRIC_DEFAULT') {
      throw new KmsError('UnsupportedOperationException', `only SYMMETRIC_DEFAULT ENCRYPT_DECRYPT keys are supported by this endpoint (got ${spec} ${usage})`);
    }
    const tags = tagsParam(req);
    let keyId: string = randomUUID();
    let material: Buffer | undefined;
    if (c.mode === 'localstack') {
      // LocalStack's seeding tags: choose the key id and the key material.
      const id = tags.find((t) => t.TagKey === '_custom_id_')?.TagValue;
      const mat = tags.find((t) => t.TagKey === '_custom_key_material_')?.TagValue;
      if (id) {
        if (c.state.keys.has(id)) throw new KmsError('ValidationException', `A key with the custom id ${id} already exists`);
        keyId = id;
      }
      if (mat) {
        material = Buffer.from(mat, 'base64');
        if (material.length !== 32) throw new KmsError('ValidationException', `_custom_key_material_ must be 32 bytes (base64), got ${material.length}`);
      }
    }
    const k: KmsKey = {
      keyId,
      region: c.region,
      createdAt: secs(c),
      description: str(req, 'Description') ?? '',
      state: 'Enabled',
      materials: [],
      rotationEnabled: false,
      onDemandRotations: 0,
      tags,
    };
    k.materials.push(newMaterial(c, undefined, material));
    c.state.keys.set(keyId, k);
    return { KeyMetadata: metadata(k) };
  },

  DescribeKey(req, c) {
    return { KeyMetadata: metadata(resolveKey(c, str(req, 'KeyId', true))) };
  },

  CreateAlias(req, c) {
    const name = str(req, 'AliasName', true);
    if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(name) || name.length > 256) throw new KmsError('ValidationException', `Alias must start with the prefix "alias/" and use [a-zA-Z0-9/_-]`);
    if (name.startsWith('alias/aws/')) throw new KmsError('InvalidAliasNameException', 'Cannot create alias with prefix alias/aws/');
    const target = str(req, 'TargetKeyId', true);
    if (target.startsWith('alias/') || target.includes(':alias/')) throw new KmsError('ValidationException', 'TargetKeyId must be a key id or key ARN, not an alias');
    if (c.state.aliases.has(name)) throw new KmsError('AlreadyExistsException', `An alias with the name ${aliasArn(c.region, name)} already exists`);
    const k = resolveKey(c, target);
    notPendingDeletion(k);
    c.state.aliases.set(name, k.keyId);
    return {};
  },

  ListAliases(req, c) {
    const filter = str(req, 'KeyId');
    const keyId = filter ? resolveKey(c, filter).keyId : undefined;
    const Aliases = [...c.state.aliases.entries()]
      .filter(([, t]) => keyId === undefined || t === keyId)
      .map(([name, t]) => ({ AliasName: name, AliasArn: aliasArn(c.region, name), TargetKeyId: t }));
    return { Aliases, Truncated: false };
  },

  Encrypt(req, c) {
    const k = resolveKey(c, str(req, 'KeyId', true));
    const pt = blob(req, 'Plaintext', true)!;
    if (pt.length < 1 || pt.length > 4096) throw validation(`1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and 4096`);
    usable(k);
    const m = current(k);
    const ct = sealBlob(c.mode, k.keyId, m.id, m.key, pt, context(req, 'EncryptionContext'));
    return { CiphertextBlob: ct.toString('base64'), KeyId: keyArn(k), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  },

  Decrypt(req, c) {
    const ct = blob(req, 'CiphertextBlob', true)!;
    const alg = str(req, 'EncryptionAlgorithm');
    if (alg !== undefined && alg !== 'SYMMETRIC_DEFAULT') throw new KmsError('InvalidKeyUsageException', `${alg} is not supported by this key`);
    const r = decryptBlob(c, ct, context(req, 'EncryptionContext'), str(req, 'KeyId'));
    return { KeyId: keyArn(r.key), Plaintext: r.plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT', KeyMaterialId: r.materialId };
  },

  GenerateDataKey(req, c) {
    const k = resolveKey(c, str(req, 'KeyId', true));
    const n = dataKeyLength(req);
    usable(k);
    const pt = randomBytes(n);
    const m = current(k);
    const ct = sealBlob(c.mode, k.keyId, m.id, m.key, pt, context(req, 'EncryptionContext'));
    return { CiphertextBlob: ct.toString('base64'), Plaintext: pt.toString('base64'), KeyId: keyArn(k), KeyMaterialId: m.id };
  },

  GenerateDataKeyWithoutPlaintext(req, c) {
    const r = OPS.GenerateDataKey!(req, c);
    delete r.Plaintext;
    return r;
  },

  ReEncrypt(req, c) {
    const ct = blob(req, 'CiphertextBlob', true)!;
    const destRef = str(req, 'DestinationKeyId', true);
    const src = decryptBlob(c, ct, context(req, 'SourceEncryptionContext'), str(req, 'SourceKeyId'));
    const dest = resolveKey(c, destRef);
    usable(dest);
    const m = current(dest);
    const out = sealBlob(c.mode, dest.keyId, m.id, m.key, src.plaintext, context(req, 'DestinationEncryptionContext'));
    src.plaintext.fill(0);
    return {
      CiphertextBlob: out.toString('base64'),
      SourceKeyId: keyArn(src.key),
      KeyId: keyArn(dest),
      SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      SourceKeyMaterialId: src.materialId,
      DestinationKeyMaterialId: m.id,
    };
  },

  GenerateRandom(req) {
    const n = int(req, 'NumberOfBytes') ?? 0;
    if (n < 1 || n > 1024) throw validation(`1 validation error detected: Value '${n}' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024`);
    return { Plaintext: randomBytes(n).toString('base64') };
  },

  EnableKey(req, c) {
    const k = resolveKey(c, str(req, 'KeyId', true));
    notPendingDeletion(k);
    k.state = 'Enabled';
    return {};
  },

  DisableKey(req, c) {
    const k = resolveKey(c, str(req, 'KeyId', true));
    notPendingDeletion(k);
    k.state = 'Disabled';
    return {};
  },

  EnableKeyRotation(req, c) {
    const k = resolveKey(c, str(req, 'KeyId', true));
    const period = int(req, 'RotationPeriodInDays') ?? 365;
    // LocalStack stores any period; AWS accepts 90..2560 days.
    // @req KMS-012
    if (c.mode === 'aws' && (period < 90 || period > 2560)) {
      throw validation(`1 validation error detected: Value '${period}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between 90 and 2560`);
    }
    usable(k);
    k.rotationEnabled = true;
    k.rotationPeriodDays = period;
    k.nextRotationDate = secs(c) + period * DAY_S;
    return {};
  },

  DisableKeyRotation(req, c) {
    const k = resolveKey(c, str(req, 'KeyId', true));
    usable(k);
    k.rotationEnabled = false;
    delete k.nextRotationDate;
    return {};
  },

  GetKeyRotationStatus(req, c) {
    const k = resolveKey(c, str(req, 'KeyId', true));
    notPendingDeletion(k);
    return {
      KeyId: keyArn(k),
      KeyRotationEnabled: k.rotationEnabled,
      ...(k.rotationEnabled ? { RotationPeriodInDays: k.rotationPeriodDays, NextRotationDate: k.nextRotationDate } : {}),
    };
  },

  RotateKeyOnDemand(req, c) {
    const k = resolveKey(c, str(req, 'KeyId', true));
    usable(k);
    // @req KMS-013
    if (k.onDemandRotations >= c.onDemandRotationLimit) {
      throw new KmsError('LimitExceededException', `The on-demand rotations limit has been reached for the given key (${c.onDemandRotationLimit}).`);
    }
    k.onDemandRotations++;
    k.materials.push(newMaterial(c, 'ON_DEMAND'));
    return { KeyId: k.keyId };
  },

  ListKeyRotations(req, c) {
    if (c.mode === 'localstack') {
      // LocalStack has no ListKeyRotations: its not-implemented answer.
      throw new KmsError('InternalFailure', "API action 'ListKeyRotations' for service 'kms' not yet implemented", 501);
    }
    const k = resolveKey(c, str(req, 'KeyId', true));
    notPendingDeletion(k);
    const all = str(req, 'IncludeKeyMaterial') === 'ALL_KEY_MATERIAL';
    const limit = int(req, 'Limit') ?? 100;
    if (limit < 1 || limit > 1000) throw validation('Limit must be between 1 and 1000');
    const entries = k.materials
      .filter((m) => all || m.rotationType !== undefined)
      .map((m) => ({ KeyId: k.keyId, KeyMaterialId: m.id, ...(m.rotationType ? { RotationDate: m.createdAt, RotationType: m.rotationType } : {}) }));
    const marker = str(req, 'Marker');
    const start = marker === undefined ? 0 : Number(marker);
    if (!Number.isInteger(start) || start < 0 || start > entries.length) throw new KmsError('InvalidMarkerException', 'The marker is invalid');
    const page = entries.slice(start, start + limit);
    const truncated = start + limit < entries.length;
    return { Rotations: page, Truncated: truncated, ...(truncated ? { NextMarker: String(start + limit) } : {}) };
  },

  ScheduleKeyDeletion(req, c) {
    const k = resolveKey(c, str(req, 'KeyId', true));
    const days = int(req, 'PendingWindowInDays') ?? 30;
    // @req KMS-014
    if (days < 7 || days > 30) throw validation(`1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30`);
    notPendingDeletion(k);
    k.state = 'PendingDeletion';
    k.deletionDate = secs(c) + days * DAY_S;
    return { KeyId: keyArn(k), DeletionDate: k.deletionDate, KeyState: 'PendingDeletion', PendingWindowInDays: days };
  },

  CancelKeyDeletion(req, c) {
    const k = resolveKey(c, str(req, 'KeyId', true));
    if (k.state !== 'PendingDeletion') throw new KmsError('KMSInvalidStateException', `${keyArn(k)} is not pending deletion.`);
    k.state = 'Disabled';
    delete k.deletionDate;
    return { KeyId: keyArn(k) };
  },
};

/** Operations that change state (the --state file is rewritten after them). */
export const MUTATING = new Set(['CreateKey', 'CreateAlias', 'EnableKey', 'DisableKey', 'EnableKeyRotation', 'DisableKeyRotation', 'RotateKeyOnDemand', 'ScheduleKeyDeletion', 'CancelKeyDeletion']);
