/**
 * Storage behind the prekey directory (spec/directory.md). A directory keeps, per agent, the
 * identity keys pinned at first publication, a queue of single-use bundles (each carrying a
 * one-time prekey) and at most one reusable bundle (signed prekey + last-resort PQ prekey).
 */
export interface StoredIdentity {
  readonly signing: string;
  readonly agreement: string;
}

export interface PublishBatch {
  readonly identity: StoredIdentity;
  /** Hex bundles, in the order they are to be handed out. */
  readonly singleUse: readonly string[];
  /** Replaces the agent's reusable bundle when present. */
  readonly reusable?: string;
}

export interface TakeResult {
  readonly bundle: string;
  readonly oneTime: boolean;
  readonly remaining: number;
}

export interface AgentInfo {
  readonly identity: StoredIdentity;
  readonly singleUseRemaining: number;
  readonly hasReusable: boolean;
}

export interface DirectoryStore {
  readonly description: string;
  identity(agent: string): Promise<StoredIdentity | undefined>;
  /** Stores a batch atomically (all or nothing). */
  publish(agent: string, batch: PublishBatch): Promise<void>;
  /** Removes and returns the oldest single-use bundle, else returns the reusable one (kept). */
  take(agent: string): Promise<TakeResult | undefined>;
  info(agent: string): Promise<AgentInfo | undefined>;
  close(): Promise<void>;
}
