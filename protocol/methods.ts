// Generated from spec/adapter-protocol.schema.json by `agentsec spec extract`; do not edit.
import type { Capabilities, ErrorKind, Services } from './types.js';

/** Bytes as lowercase hex. */
export type Hex = string;
/** A 64-bit counter as a decimal string. */
export type U64 = string;
/** An id the adapter chose for an object it holds. */
export type ObjectId = string;

/** The params of each method. */
export interface MethodParams {
  'envelope.kek_advance': {
    kek: ObjectId;
    ms: number;
  };
  'envelope.kek_new': {
    cache?: {
      max_messages: number;
      max_age_ms: number;
      max_entries: number;
    };
  };
  'envelope.kek_retire': {
    kek: ObjectId;
    version: number;
  };
  'envelope.kek_rotate': {
    kek: ObjectId;
  };
  'envelope.kek_versions': {
    kek: ObjectId;
  };
  'envelope.open': {
    envelope: Hex;
    context?: Record<string, string>;
    kek?: ObjectId;
  };
  'envelope.rewrap': {
    envelope: Hex;
    kek?: ObjectId;
  };
  'envelope.seal': {
    plaintext: Hex;
    context?: Record<string, string>;
    kek?: ObjectId;
  };
  'free': {
    id: ObjectId;
  };
  'hello': {
    protocol: 1;
    services?: Services;
  };
  'identity.create': Record<string, never>;
  'identity.public': {
    identity: ObjectId;
  };
  'identity.sign': {
    identity: ObjectId;
    message: Hex;
  };
  'identity.verify': {
    did?: string;
    public?: Hex;
    message: Hex;
    signature: Hex;
  };
  'noise.explicit_receive': {
    id: ObjectId;
    frame: Hex;
  };
  'noise.explicit_restore': {
    record: Hex;
  };
  'noise.explicit_send': {
    id: ObjectId;
    payload: Hex;
  };
  'noise.explicit_start': {
    id: ObjectId;
  };
  'noise.explicit_stored': {
    id: ObjectId;
  };
  'noise.new': {
    protocol: string;
    initiator: boolean;
    prologue: Hex;
    s?: Hex;
    e?: Hex;
    rs?: Hex;
    re?: Hex;
    psks?: Hex[];
    e1?: Hex;
  };
  'noise.read': {
    id: ObjectId;
    message: Hex;
  };
  'noise.rekey': {
    id: ObjectId;
    direction: "send" | "recv";
  };
  'noise.set_nonce': {
    id: ObjectId;
    direction: "send" | "recv";
    n: U64;
  };
  'noise.state': {
    id: ObjectId;
  };
  'noise.write': {
    id: ObjectId;
    payload: Hex;
  };
  'prim.aead_open': {
    alg: string;
    key: Hex;
    nonce: Hex;
    ciphertext: Hex;
    ad: Hex;
  };
  'prim.aead_seal': {
    alg: string;
    key: Hex;
    nonce: Hex;
    plaintext: Hex;
    ad: Hex;
  };
  'prim.ed25519_verify': {
    public: Hex;
    message: Hex;
    signature: Hex;
  };
  'prim.hkdf': {
    hash: string;
    ikm: Hex;
    salt: Hex;
    info: Hex;
    length: number;
  };
  'prim.hmac': {
    hash: string;
    key: Hex;
    message: Hex;
  };
  'prim.mlkem_decaps': {
    alg: string;
    ciphertext: Hex;
    secret: Hex;
  };
  'prim.mlkem_encaps': {
    alg: string;
    public: Hex;
    m?: Hex;
  };
  'prim.mlkem_keygen': {
    alg: string;
    seed: Hex;
  };
  'prim.x25519': {
    private: Hex;
    public: Hex;
  };
  'session.agent': {
    name: string;
    kind: string;
    one_time_prekeys?: number;
    keys?: {
      identity_signing_seed: string;
      identity_agreement_private: string;
      aead?: "AES-256-GCM" | "ChaCha20-Poly1305";
      signed_prekey?: {
        id: number;
        private: string;
      };
      one_time_prekey?: {
        id: number;
        private: string;
      };
      pq_prekey?: {
        id: number;
        seed: string;
        kind: "last_resort" | "one_time";
      };
    };
    max_skip?: number;
    max_skipped_keys?: number;
    max_replay_digests?: number;
  };
  'session.bundle': {
    agent: ObjectId;
  };
  'session.decrypt': {
    agent: ObjectId;
    peer: string;
    message: Hex;
    fixed?: {
      ephemeral?: string;
      ratchet?: string;
      kem_randomness?: string;
    };
  };
  'session.encrypt': {
    agent: ObjectId;
    peer: string;
    plaintext: Hex;
    fixed?: {
      ephemeral?: string;
      ratchet?: string;
      kem_randomness?: string;
    };
  };
  'session.export': {
    agent: ObjectId;
  };
  'session.import': {
    state: Hex;
    max_skip?: number;
    max_skipped_keys?: number;
    max_replay_digests?: number;
  };
  'session.initiate': {
    agent: ObjectId;
    peer: string;
    bundle: Hex;
    plaintext: Hex;
    fixed?: {
      ephemeral?: string;
      ratchet?: string;
      kem_randomness?: string;
    };
  };
  'session.state': {
    agent: ObjectId;
    peer: string;
  };
}

/** The result of each method. */
export interface MethodResults {
  'envelope.kek_advance': Record<string, never>;
  'envelope.kek_new': {
    kek: ObjectId;
  };
  'envelope.kek_retire': Record<string, never>;
  'envelope.kek_rotate': {
    version: number;
  };
  'envelope.kek_versions': {
    current: number;
    versions: {
      version: number;
      retired: boolean;
    }[];
  };
  'envelope.open': {
    plaintext: Hex;
  };
  'envelope.rewrap': {
    envelope: Hex;
  };
  'envelope.seal': {
    envelope: Hex;
  };
  'free': Record<string, never>;
  'hello': {
    name: string;
    version: string;
    protocol: 1;
    capabilities: Capabilities;
  };
  'identity.create': {
    identity: ObjectId;
    signing_public: Hex;
    agreement_public: Hex;
    did: string;
  };
  'identity.public': {
    signing_public: Hex;
    agreement_public: Hex;
    did: string;
  };
  'identity.sign': {
    signature: Hex;
  };
  'identity.verify': {
    valid: boolean;
  };
  'noise.explicit_receive': {
    payload: Hex;
  };
  'noise.explicit_restore': {
    id: ObjectId;
  };
  'noise.explicit_send': {
    frame: Hex;
  };
  'noise.explicit_start': {
    id: ObjectId;
  };
  'noise.explicit_stored': {
    record: Hex;
  };
  'noise.new': {
    id: ObjectId;
  };
  'noise.read': {
    payload: Hex;
  };
  'noise.rekey': Record<string, never>;
  'noise.set_nonce': Record<string, never>;
  'noise.state': {
    complete: boolean;
    handshake_hash?: Hex;
    send_nonce?: U64;
    recv_nonce?: U64;
  };
  'noise.write': {
    message: Hex;
  };
  'prim.aead_open': {
    plaintext: Hex;
  };
  'prim.aead_seal': {
    ciphertext: Hex;
  };
  'prim.ed25519_verify': {
    valid: boolean;
  };
  'prim.hkdf': {
    okm: Hex;
  };
  'prim.hmac': {
    mac: Hex;
  };
  'prim.mlkem_decaps': {
    shared: Hex;
  };
  'prim.mlkem_encaps': {
    ciphertext: Hex;
    shared: Hex;
  };
  'prim.mlkem_keygen': {
    public: Hex;
    secret: Hex;
  };
  'prim.x25519': {
    shared: Hex;
  };
  'session.agent': {
    agent: ObjectId;
  };
  'session.bundle': {
    bundle: Hex;
  };
  'session.decrypt': {
    plaintext: Hex;
  };
  'session.encrypt': {
    message: Hex;
  };
  'session.export': {
    state: Hex;
  };
  'session.import': {
    agent: ObjectId;
  };
  'session.initiate': {
    message: Hex;
  };
  'session.state': {
    ns: number;
    nr: number;
    pn: number;
    epoch: number;
    skipped: number;
  };
}

export type Method = keyof MethodParams;

export const METHODS: readonly Method[] = ['envelope.kek_advance', 'envelope.kek_new', 'envelope.kek_retire', 'envelope.kek_rotate', 'envelope.kek_versions', 'envelope.open', 'envelope.rewrap', 'envelope.seal', 'free', 'hello', 'identity.create', 'identity.public', 'identity.sign', 'identity.verify', 'noise.explicit_receive', 'noise.explicit_restore', 'noise.explicit_send', 'noise.explicit_start', 'noise.explicit_stored', 'noise.new', 'noise.read', 'noise.rekey', 'noise.set_nonce', 'noise.state', 'noise.write', 'prim.aead_open', 'prim.aead_seal', 'prim.ed25519_verify', 'prim.hkdf', 'prim.hmac', 'prim.mlkem_decaps', 'prim.mlkem_encaps', 'prim.mlkem_keygen', 'prim.x25519', 'session.agent', 'session.bundle', 'session.decrypt', 'session.encrypt', 'session.export', 'session.import', 'session.initiate', 'session.state'];

/** The error object of a refusal. */
export interface ProtocolError {
  code: number;
  message: string;
  data?: { kind: ErrorKind; reason?: string };
}
