/** JSON Schema (draft 2020-12) of the Noise vector files: cacophony's fields plus this project's (format.ts). */
import { ERROR_KIND_SCHEMA as kind, HEX_SCHEMA as hex } from '../schema-kit.js';


export const NOISE_VECTOR_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://agentsec.invalid/schemas/agentsec-noise-1.json',
  title: 'Noise test vectors (cacophony format, agentsec extension agentsec-noise/1)',
  type: 'object',
  required: ['vectors'],
  properties: {
    format: { const: 'agentsec-noise/1' },
    generator: { type: 'object' },
    vectors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['protocol_name', 'init_prologue', 'resp_prologue', 'messages'],
        properties: {
          protocol_name: { type: 'string', pattern: '^Noise_[A-Za-z0-9+/]+_[A-Za-z0-9+/]+_[A-Za-z0-9+/]+_[A-Za-z0-9+/]+$', maxLength: 255 },
          description: { type: 'string', description: 'what the vector shows (agentsec)' },
          reqs: { type: 'array', items: { type: 'string', pattern: '^NOISE-[0-9]{3}$' }, description: 'requirement IDs of spec/noise.md (agentsec)' },
          init_prologue: hex,
          init_psks: { type: 'array', items: hex },
          init_static: { ...hex, description: 'private key' },
          init_ephemeral: { ...hex, description: 'private key' },
          init_remote_static: { ...hex, description: 'public key, pre-message only' },
          init_remote_ephemeral: { ...hex, description: 'fallback: the responder\'s ephemeral public key, a pre-message (agentsec)' },
          init_e1_seed: { ...hex, description: 'hfs: 64-byte ML-KEM-768 keygen seed d||z of the e1 sender (agentsec)' },
          init_ekem1_randomness: { ...hex, description: 'hfs: 32-byte ML-KEM-768 encapsulation message of the ekem1 sender (agentsec)' },
          resp_prologue: hex,
          resp_psks: { type: 'array', items: hex },
          resp_static: hex,
          resp_ephemeral: hex,
          resp_remote_static: hex,
          resp_e1_seed: hex,
          resp_ekem1_randomness: hex,
          handshake_hash: { ...hex, description: 'absent when the handshake is meant to fail (agentsec)' },
          messages: {
            type: 'array',
            items: {
              type: 'object',
              required: ['payload'],
              properties: {
                payload: hex,
                ciphertext: hex,
                sender: { enum: ['initiator', 'responder'], description: 'absent: initiator on even indexes (every index for one-way patterns) (agentsec)' },
                rekey_before: { type: 'boolean', description: 'sender rekeys sending, recipient rekeys receiving, before this message (agentsec)' },
                set_nonce_before: { type: 'string', pattern: '^(0|[1-9][0-9]*)$', description: 'decimal nonce set on both sides before this message (agentsec)' },
                expected_error: { ...kind, description: 'with ciphertext: the read is refused; without: the write is refused (agentsec)' },
                forged: { type: 'boolean', description: 'ciphertext not written by the sender; only read, and refused (agentsec)' },
              },
              anyOf: [{ required: ['ciphertext'] }, { required: ['expected_error'] }],
              additionalProperties: false,
            },
          },
        },
      },
    },
  },
} as const;
