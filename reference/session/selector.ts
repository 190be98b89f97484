/**
 * The handshake selector (spec/session.md SESS-020..023): which key exchange two agents should
 * run, from what the initiator knows about the peer. The result says why, so logs and users can
 * see the reasoning.
 *
 * - peer offline                 -> X3DH, or PQXDH when the config asks for hybrid (post-quantum)
 *                                   key agreement: only a prekey bundle from the directory is available;
 * - peer online, static key known -> Noise IK: one round trip, and the initiator's identity is hidden
 *                                   from passive observers;
 * - peer online, key unknown     -> Noise XX: both static keys are exchanged (and must then be
 *                                   checked against the directory or a pin).
 */
import { AgentsecError } from '../errors.js';

export interface SelectorInput {
  /** Whether the initiator already holds the peer's static X25519 key (pinned or from the directory). */
  readonly peerKeyKnown: boolean;
  /** Whether the peer is reachable now for an interactive handshake. */
  readonly peerOnline: boolean;
  /** The config asks for hybrid post-quantum key agreement. */
  readonly hybrid: boolean;
  /** Noise cipher for the interactive handshakes (default ChaChaPoly). */
  readonly cipher?: 'ChaChaPoly' | 'AESGCM';
}

export type HandshakeChoice = 'noise-ik' | 'noise-xx' | 'x3dh' | 'pqxdh';

export interface Selection {
  readonly handshake: HandshakeChoice;
  /** The full protocol name: a Noise protocol name, or the X3DH / PQXDH info string. */
  readonly protocol: string;
  readonly explanation: string;
}

export function selectHandshake(input: SelectorInput): Selection {
  for (const k of ['peerKeyKnown', 'peerOnline', 'hybrid'] as const) {
    if (typeof input[k] !== 'boolean') throw new AgentsecError('decode_failure', 'BAD_PARAM', `"${k}" must be a boolean`);
  }
  const cipher = input.cipher ?? 'ChaChaPoly';
  if (cipher !== 'ChaChaPoly' && cipher !== 'AESGCM') throw new AgentsecError('decode_failure', 'BAD_PARAM', `"cipher" must be ChaChaPoly or AESGCM`);
  const pq = input.hybrid ? ' with hybrid ML-KEM' : '';
  if (!input.peerOnline) {
    // @req SESS-022
    const handshake = input.hybrid ? 'pqxdh' : 'x3dh';
    return {
      handshake,
      protocol: input.hybrid ? 'agentsec/1 PQXDH CURVE25519 SHA-256 ML-KEM-1024' : 'agentsec/1 X3DH CURVE25519 SHA-256',
      explanation: `peer is offline: an interactive handshake cannot complete, so ${handshake.toUpperCase()} runs against the peer's prekey bundle from the directory${input.hybrid ? ' (PQXDH because the config asks for hybrid post-quantum key agreement)' : ''}, and messages wait in the peer's queue`,
    };
  }
  const hfs = input.hybrid ? 'hfs' : '';
  const dh = input.hybrid ? '25519+MLKEM768' : '25519';
  if (input.peerKeyKnown) {
    // @req SESS-020
    return {
      handshake: 'noise-ik',
      protocol: `Noise_IK${hfs}_${dh}_${cipher}_SHA256`,
      explanation: `peer is online and its static key is already known: Noise IK${pq} completes in one round trip and encrypts the initiator's identity to the known key`,
    };
  }
  // @req SESS-021
  return {
    handshake: 'noise-xx',
    protocol: `Noise_XX${hfs}_${dh}_${cipher}_SHA256`,
    explanation: `peer is online but its static key is unknown: Noise XX${pq} exchanges both static keys, which must then be checked against the directory or a pin`,
  };
}
