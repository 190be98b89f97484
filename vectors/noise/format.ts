/**
 * Noise vector files: the cacophony format (`{"vectors": [...]}`, ../shared/vectors/noise/SOURCES.md)
 * and this project's extension of it. Every extension field is optional and absent from cacophony:
 *
 * vector level
 * - `description`: what the vector shows; `reqs`: the NOISE requirement IDs it checks.
 * - `init_e1_seed` / `resp_e1_seed`: hfs, the fixed 64-byte ML-KEM-768 keygen seed (d || z) of the
 *   party that sends `e1`.
 * - `init_ekem1_randomness` / `resp_ekem1_randomness`: hfs, the fixed 32-byte encapsulation message m
 *   of the party that sends `ekem1`.
 * - `init_remote_ephemeral`: fallback patterns (10.2), the responder's ephemeral public key that the
 *   initiator holds as a pre-message; the responder's pre-message ephemeral is `resp_ephemeral`.
 * - `handshake_hash` may be absent when the handshake is meant to fail.
 *
 * message level
 * - `sender`: "initiator" | "responder". When absent, the cacophony rule applies: the initiator
 *   writes even-indexed messages, the responder odd ones (every message in one-way patterns).
 * - `rekey_before`: the sender rekeys its sending CipherState and the recipient its receiving one
 *   before this message (11.3).
 * - `set_nonce_before`: decimal n; the sender's sending and the recipient's receiving nonce are set
 *   to n before this message (5.1 SetNonce).
 * - `expected_error`: an error kind. With `ciphertext` and no `forged`: the sender writes it and the
 *   recipient must refuse it. Without `ciphertext`: the sender must refuse to write `payload`.
 * - `forged`: true when `ciphertext` was not produced by the sender (tampered, truncated, replayed):
 *   the sender does not write it; the recipient must refuse it with `expected_error` and its state
 *   must be as before (a later genuine message still decrypts).
 */
import { readFileSync } from 'node:fs';

export interface NoiseVectorMessage {
  payload: string;
  ciphertext?: string;
  sender?: 'initiator' | 'responder';
  rekey_before?: boolean;
  set_nonce_before?: string;
  expected_error?: string;
  forged?: boolean;
}

export interface NoiseVector {
  protocol_name: string;
  description?: string;
  reqs?: string[];
  init_prologue: string;
  init_psks?: string[];
  init_static?: string;
  init_ephemeral?: string;
  init_remote_static?: string;
  init_remote_ephemeral?: string;
  init_e1_seed?: string;
  init_ekem1_randomness?: string;
  resp_prologue: string;
  resp_psks?: string[];
  resp_static?: string;
  resp_ephemeral?: string;
  resp_remote_static?: string;
  resp_e1_seed?: string;
  resp_ekem1_randomness?: string;
  handshake_hash?: string;
  messages: NoiseVectorMessage[];
}

export interface NoiseVectorFile {
  /** Present in this project's files: the format name and version. */
  format?: string;
  generator?: Record<string, unknown>;
  vectors: NoiseVector[];
}

const HEX = /^(?:[0-9a-f]{2})*$/;

/** Structural check of a parsed file; returns problems (empty when valid). */
export function checkVectorFile(x: unknown): string[] {
  const problems: string[] = [];
  if (typeof x !== 'object' || x === null || !Array.isArray((x as NoiseVectorFile).vectors)) return ['top level must be {"vectors": [...]}'];
  (x as NoiseVectorFile).vectors.forEach((v, i) => {
    const at = `vectors[${i}]`;
    if (typeof v.protocol_name !== 'string') problems.push(`${at}.protocol_name missing`);
    for (const k of ['init_prologue', 'resp_prologue'] as const) if (typeof v[k] !== 'string' || !HEX.test(v[k])) problems.push(`${at}.${k} must be hex`);
    for (const k of ['init_static', 'init_ephemeral', 'init_remote_static', 'init_remote_ephemeral', 'resp_static', 'resp_ephemeral', 'resp_remote_static', 'handshake_hash',
      'init_e1_seed', 'init_ekem1_randomness', 'resp_e1_seed', 'resp_ekem1_randomness'] as const) {
      if (v[k] !== undefined && (typeof v[k] !== 'string' || !HEX.test(v[k]))) problems.push(`${at}.${k} must be hex`);
    }
    if (!Array.isArray(v.messages)) problems.push(`${at}.messages missing`);
    else v.messages.forEach((m, j) => {
      if (typeof m.payload !== 'string' || !HEX.test(m.payload)) problems.push(`${at}.messages[${j}].payload must be hex`);
      if (m.ciphertext !== undefined && !HEX.test(m.ciphertext)) problems.push(`${at}.messages[${j}].ciphertext must be hex`);
      if (m.ciphertext === undefined && m.expected_error === undefined) problems.push(`${at}.messages[${j}] needs ciphertext or expected_error`);
      if (m.set_nonce_before !== undefined && !/^(0|[1-9][0-9]*)$/.test(m.set_nonce_before)) problems.push(`${at}.messages[${j}].set_nonce_before must be a decimal string`);
    });
  });
  return problems;
}

export function loadVectorFile(path: string): NoiseVectorFile {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const problems = checkVectorFile(parsed);
  if (problems.length) throw new Error(`${path}: not a Noise vector file: ${problems.slice(0, 3).join('; ')}`);
  return parsed as NoiseVectorFile;
}
