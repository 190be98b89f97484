/**
 * A leak detector for text that leaves a process (logs, errors, reports, inspect output): given
 * the secrets a run is known to have used, find any of them in the text as hex, base64,
 * base64url, a printed byte list (`Uint8Array(32) [ 12, 34, ...`, JSON `[12,34,...]`) or a
 * printed Buffer (`<Buffer 0c 22 ...>`). A match is any WINDOW-byte stretch of a secret, so a
 * truncated echo (an error quoting 27 bytes of a key) counts as a leak too.
 */
import { toHex } from '../bytes.js';

/** Bytes of a secret that must not appear together: 16 bytes is far past chance collisions. */
export const LEAK_WINDOW = 16;

export type LeakForm = 'hex' | 'base64' | 'byte-list' | 'text';

export interface Leak {
  /** The label the secret was registered under. */
  readonly secret: string;
  readonly form: LeakForm;
  /** Up to 40 characters of the text around the match (the match itself is masked). */
  readonly near: string;
}

export interface SecretBook {
  /** Registers a byte secret (shorter than LEAK_WINDOW bytes: ignored, too short to match reliably). */
  add(label: string, secret: Uint8Array): void;
  /** Registers a text secret (a passphrase, a PIN), matched literally. */
  addText(label: string, secret: string): void;
  /** Forgets a registered value (one found to be public, e.g. a salt on the wire). */
  remove(secret: Uint8Array): void;
  readonly size: number;
  scan(text: string): Leak[];
}

export function createSecretBook(): SecretBook {
  const windows = new Map<string, string>();
  const texts = new Map<string, string>();
  let count = 0;

  const lookupBytes = (bytes: Uint8Array): string | undefined => {
    for (let i = 0; i + LEAK_WINDOW <= bytes.length; i++) {
      const label = windows.get(toHex(bytes.subarray(i, i + LEAK_WINDOW)));
      if (label !== undefined) return label;
    }
    return undefined;
  };

  return {
    get size() {
      return count + texts.size;
    },
    add(label, secret) {
      if (secret.length < LEAK_WINDOW) return;
      count++;
      for (let i = 0; i + LEAK_WINDOW <= secret.length; i++) {
        const w = toHex(secret.subarray(i, i + LEAK_WINDOW));
        if (!windows.has(w)) windows.set(w, label);
      }
    },
    addText(label, secret) {
      if (secret.length > 0) texts.set(secret, label);
    },
    remove(secret) {
      for (let i = 0; i + LEAK_WINDOW <= secret.length; i++) windows.delete(toHex(secret.subarray(i, i + LEAK_WINDOW)));
    },
    scan(text) {
      const leaks: Leak[] = [];
      const report = (secret: string, form: LeakForm, index: number): void => {
        const start = Math.max(0, index - 20);
        leaks.push({ secret, form, near: text.slice(start, index).replace(/\s+/g, ' ') + '<secret>' });
      };
      for (const [t, label] of texts) {
        const i = text.indexOf(t);
        if (i >= 0) report(label, 'text', i);
      }
      if (windows.size === 0) return leaks;
      for (const m of text.matchAll(/[0-9a-fA-F]{32,}/g)) {
        for (const off of [0, 1]) {
          const h = m[0].slice(off, off + ((m[0].length - off) & ~1));
          const label = lookupBytes(Uint8Array.from(Buffer.from(h, 'hex')));
          if (label !== undefined) {
            report(label, 'hex', m.index);
            break;
          }
        }
      }
      for (const m of text.matchAll(/[A-Za-z0-9+/_-]{22,}/g)) {
        const std = m[0].replace(/-/g, '+').replace(/_/g, '/');
        for (let shift = 0; shift < 4; shift++) {
          const s = std.slice(shift);
          const label = lookupBytes(Uint8Array.from(Buffer.from(s.slice(0, s.length - (s.length % 4)), 'base64')));
          if (label !== undefined) {
            report(label, 'base64', m.index);
            break;
          }
        }
      }
      // Decimal byte lists (util.inspect of a Uint8Array, JSON of a Buffer or an array).
      for (const m of text.matchAll(/\d{1,3}(?:\s*,\s*\d{1,3}){15,}/g)) {
        const nums = m[0].split(/\s*,\s*/).map(Number);
        if (nums.some((n) => n > 255)) continue;
        const label = lookupBytes(Uint8Array.from(nums));
        if (label !== undefined) report(label, 'byte-list', m.index);
      }
      // util.inspect of a Buffer: space-separated hex pairs.
      for (const m of text.matchAll(/[0-9a-f]{2}(?: [0-9a-f]{2}){15,}/g)) {
        const label = lookupBytes(Uint8Array.from(Buffer.from(m[0].replace(/ /g, ''), 'hex')));
        if (label !== undefined) report(label, 'byte-list', m.index);
      }
      return leaks;
    },
  };
}
