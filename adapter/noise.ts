/**
 * agentsec-adapter/1 `noise.*` methods of the reference (spec/adapter-protocol.md, spec/noise.md
 * NOISE-052). One NoiseChannel per id, carried from the handshake into the transport phase.
 *
 * `noise.new {protocol, initiator, prologue, s?, e?, rs?, re?, psks?, e1?}`:
 * - `s` static private key, `rs` peer static public key (only when the pattern has it as a
 *   pre-message), `psks` one hex PSK per psk token, in token order;
 * - `re` (fallback patterns, 10.2): the peer's ephemeral public key that the initiator (Bob) holds as
 *   a pre-message; the responder's (Alice's) pre-message ephemeral is the fixed `e`;
 * - `e` a fixed ephemeral private key (capability `fixed_ephemeral`, for vectors only);
 * - `e1` (hfs, fixed KEM randomness for vectors): 64 bytes, the ML-KEM-768 keygen seed d || z, for
 *   the party that sends the `e1` token; 32 bytes, the encapsulation message m, for the party that
 *   sends `ekem1`.
 */
import {
  BASE_PATTERN_NAMES,
  buildPattern,
  CIPHER_NAMES,
  createNoiseChannel,
  DH_NAMES,
  KEM_ALG_NAMES,
  NOISE_HASH_NAMES,
  parseProtocolName,
  REPLAY_WINDOW,
  toHex,
  type NoiseChannel,
} from '../reference/index.js';
import { AgentsecError } from '../reference/errors.js';
import { withFixedNoiseKeysForTestingOnly } from '../reference/noise/fixed-keys.js';
import type { FixedNoiseKeys } from '../reference/noise/channel.js';
import type { Area } from './area.js';
import { explicitNonceMethods } from './noise-explicit.js';
import { boolParam, hexParam, optHexParam, strParam, u64Param } from './params.js';

const KIND = 'noise';

/** Pattern sections with the fallback modifier (10.2) that the reference builds, e.g. "XXfallback". */
const FALLBACK_SECTIONS = BASE_PATTERN_NAMES.filter((b) => {
  try {
    buildPattern(b, ['fallback']);
    return true;
  } catch {
    return false;
  }
}).map((b) => `${b}fallback`);

function directionParam(p: Record<string, unknown>): 'send' | 'recv' {
  const d = strParam(p, 'direction');
  if (d !== 'send' && d !== 'recv') throw new AgentsecError('decode_failure', 'BAD_PARAM', 'param "direction" must be "send" or "recv"');
  return d;
}

function psksParam(p: Record<string, unknown>): Uint8Array[] | undefined {
  const v = p.psks;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new AgentsecError('decode_failure', 'BAD_PARAM', 'param "psks" must be an array of hex strings');
  return v.map((x, i) => hexParam({ [`psks[${i}]`]: x }, `psks[${i}]`));
}

/** Which KEM token (if any) this role writes: it decides what the `e1` param means. */
function kemTokenOf(protocol: string, initiator: boolean): 'e1' | 'ekem1' | undefined {
  const msgs = parseProtocolName(protocol).pattern.messages;
  for (const [i, m] of msgs.entries()) {
    if ((i % 2 === 0) !== initiator) continue;
    if (m.includes('e1')) return 'e1';
    if (m.includes('ekem1')) return 'ekem1';
  }
  return undefined;
}

export const noiseArea: Area = {
  name: 'noise',
  capabilities: () => ({
    noise: {
      // Base patterns; "psk" claims every pskN modifier (and combinations) on them; fallback sections by name.
      patterns: [...BASE_PATTERN_NAMES, 'psk', ...FALLBACK_SECTIONS],
      dh: [...DH_NAMES],
      cipher: [...CIPHER_NAMES],
      hash: [...NOISE_HASH_NAMES],
      hfs: [...KEM_ALG_NAMES],
      fixed_ephemeral: true,
      rekey: true,
      set_nonce: true,
      explicit_nonce: { window: REPLAY_WINDOW },
    },
  }),
  methods: {
    'noise.new': (p, { objects, provider }) => {
      const protocol = strParam(p, 'protocol');
      const initiator = boolParam(p, 'initiator');
      const prologue = hexParam(p, 'prologue');
      const s = optHexParam(p, 's');
      const e = optHexParam(p, 'e');
      const rs = optHexParam(p, 'rs');
      const re = optHexParam(p, 're');
      const e1 = optHexParam(p, 'e1');
      const psks = psksParam(p);
      let kemSeams: FixedNoiseKeys = {};
      if (e1) {
        const token = kemTokenOf(protocol, initiator);
        if (token === 'e1') kemSeams = { kemSeed: e1 };
        else if (token === 'ekem1') kemSeams = { kemEncapsulation: e1 };
        else throw new AgentsecError('decode_failure', 'UNEXPECTED_KEY', 'param "e1" is only for a party that sends e1 or ekem1 (hfs)');
      }
      const options = {
        protocol,
        initiator,
        prologue,
        provider,
        ...(s ? { staticPrivateKey: s } : {}),
        ...(rs ? { remoteStaticKey: rs } : {}),
        ...(re ? { remoteEphemeralKey: re } : {}),
        ...(psks ? { psks } : {}),
      };
      // The contract's `e` and `e1` parameters exist for known-answer vectors.
      const fixed: FixedNoiseKeys = { ...(e ? { ephemeral: e } : {}), ...kemSeams };
      const ch = createNoiseChannel(e || e1 ? withFixedNoiseKeysForTestingOnly(options, fixed) : options);
      return { id: objects.put(KIND, ch) };
    },
    'noise.write': (p, { objects }) => {
      const ch = objects.get<NoiseChannel>(p.id, KIND);
      return { message: toHex(ch.writeMessage(hexParam(p, 'payload'))) };
    },
    'noise.read': (p, { objects }) => {
      const ch = objects.get<NoiseChannel>(p.id, KIND);
      return { payload: toHex(ch.readMessage(hexParam(p, 'message'))) };
    },
    'noise.state': (p, { objects }) => {
      const ch = objects.get<NoiseChannel>(p.id, KIND);
      if (!ch.isHandshakeComplete) return { complete: false };
      // @req MODEL-050
      const nonce = (d: 'send' | 'recv') => {
        try {
          return { [`${d}_nonce`]: ch.nonce(d).toString() };
        } catch {
          return {}; // a one-way pattern has no such direction
        }
      };
      return { complete: true, handshake_hash: toHex(ch.handshakeHash()), ...nonce('send'), ...nonce('recv') };
    },
    'noise.rekey': (p, { objects }) => {
      objects.get<NoiseChannel>(p.id, KIND).rekey(directionParam(p));
      return {};
    },
    'noise.set_nonce': (p, { objects }) => {
      const ch = objects.get<NoiseChannel>(p.id, KIND);
      const direction = directionParam(p);
      ch.setNonce(direction, u64Param(p, 'n'));
      return {};
    },
    ...explicitNonceMethods,
  },
};
