// Generated from spec/adapter-protocol.schema.json by `agentsec spec extract`; do not edit.

/** What `hello` returns as `capabilities` (spec/adapter-protocol.md). */
export interface Capabilities {
  /** Noise handshakes and transport (`noise.*`); a protocol is tested when its DH, cipher, hash (and KEM) and pattern section are claimed. */
  noise?: {
    /** Pattern sections (`XX`, `XXpsk3`), base patterns, `psk` (every pskN modifier) and `<base>fallback`. */
    patterns: string[];
    dh: string[];
    cipher: string[];
    hash: string[];
    /** KEM names for hybrid forward secrecy (`MLKEM768`). */
    hfs?: string[];
    /** `noise.new` honours `e` (fixed ephemerals; every known-answer test needs it). */
    fixed_ephemeral?: boolean;
    /** `noise.rekey` is served. */
    rekey?: boolean;
    /** `noise.set_nonce` is served (the nonce-limit tests need it). */
    set_nonce?: boolean;
    /** The `noise.explicit_*` methods are served (explicit-nonce transport), with the width of the receiver's replay window in nonces. */
    explicit_nonce?: {
      window: number;
    };
  };
  /** Asynchronous sessions (`session.*`). */
  session?: {
    kinds: string[];
    /** `session.export` and `session.import` are served. */
    export?: boolean;
    /** The wire profile spoken (`agentsec/1`). */
    profile?: string;
    /** `session.agent` takes `keys` and initiate/encrypt/decrypt take `fixed` (known answers). */
    fixed_randomness?: boolean;
    /** What an initial message or bundle under a changed identity key of a known peer meets: refused (`pin`) or accepted and reported (`surface`). */
    identity_policy?: "pin" | "surface";
  };
  /** Envelope encryption (`envelope.*`) under the KMS kinds named, and under KEKs the adapter holds (`kek_admin`). */
  envelope?: {
    kms: string[];
    /** `envelope.kek_new`, `kek_rotate`, `kek_retire`, `kek_versions`, `kek_advance` are served and seal/open/rewrap take `kek` (the envelope traces and KEK administration tests run through them). */
    kek_admin?: boolean;
    /** `envelope.kek_new` takes `cache` limits (max_messages, max_age_ms, max_entries) on the KEK's clock. */
    cache?: boolean;
  };
  /** `identity.create`, `identity.public`, `identity.sign`, `identity.verify` (spec/identity.md ID-031). */
  identity?: {
    sign: string[];
    did?: string[];
  };
  /** Primitives served by `prim.*`. */
  primitives?: string[];
}

/** The services the harness runs for a test and announces in `hello`. */
export interface Services {
  kms?: {
    endpoint: string;
    region: string;
    key_id: string;
  };
}
