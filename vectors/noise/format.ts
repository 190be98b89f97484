/**
 * Noise vector files: the cacophony format (`{"vectors": [...]}`, vectors/third_party/noise/SOURCE.md)
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
import { readVendored } from '../external.js';
import { schemaValidator } from '../../spec/tools/schema-validator.js';
import { NOISE_VECTOR_SCHEMA } from './schema.js';

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


/** Structural check of a parsed file; returns problems (empty when valid). */
/** Checks a Noise vector file (cacophony's or this project's) against NOISE_VECTOR_SCHEMA; returns problems. */
export function checkVectorFile(x: unknown): string[] {
  return schemaValidator(NOISE_VECTOR_SCHEMA)(x);
}

export function loadVectorFile(path: string): NoiseVectorFile {
  const parsed: unknown = JSON.parse(readVendored(path));
  const problems = checkVectorFile(parsed);
  if (problems.length) throw new Error(`${path}: not a Noise vector file: ${problems.slice(0, 3).join('; ')}`);
  return parsed as NoiseVectorFile;
}
