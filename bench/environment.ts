/**
 * The hardware and runtime a run measured, recorded with every result: numbers from different
 * machines, Node or OpenSSL versions are not comparable, and ratios only within one run.
 */
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { packageVersion } from './peers.js';

export interface Environment {
  readonly cpuModel: string;
  /** Logical CPUs the OS reports, and how many this process may use. */
  readonly cpus: number;
  readonly availableParallelism: number;
  /** CPU features that decide the crypto fast paths (AES-NI, SHA-NI, AVX2/512, VAES); Linux only. */
  readonly cpuFlags: string[];
  readonly hypervisor: boolean;
  readonly totalMemoryBytes: number;
  readonly platform: string;
  readonly osRelease: string;
  readonly arch: string;
  readonly node: string;
  readonly v8: string;
  readonly openssl: string;
  readonly loadAverage1m: number;
  readonly loadAverage1mAtEnd?: number;
  /** Versions of the measured libraries and of tinybench. */
  readonly packages: Record<string, string>;
}

const INTERESTING_FLAGS = ['aes', 'pclmulqdq', 'sha_ni', 'avx2', 'avx512f', 'avx512ifma', 'vaes', 'vpclmulqdq', 'adx', 'bmi2'];

function cpuInfo(): { flags: string[]; hypervisor: boolean } {
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const line = text.split('\n').find((l) => l.startsWith('flags')) ?? '';
    const flags = new Set(line.split(':')[1]?.trim().split(/\s+/) ?? []);
    return { flags: INTERESTING_FLAGS.filter((f) => flags.has(f)), hypervisor: flags.has('hypervisor') };
  } catch {
    return { flags: [], hypervisor: false };
  }
}

const PACKAGES = ['@noble/ciphers', '@noble/curves', '@noble/hashes', '@noble/post-quantum', 'sodium-native', 'noise-handshake', '@signalapp/libsignal-client', 'tinybench'];

export function environment(): Environment {
  const cpus = os.cpus();
  const info = cpuInfo();
  const packages: Record<string, string> = {};
  for (const p of PACKAGES) {
    const v = packageVersion(p);
    if (v) packages[p] = v;
  }
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    cpuFlags: info.flags,
    hypervisor: info.hypervisor,
    totalMemoryBytes: os.totalmem(),
    platform: process.platform,
    osRelease: os.release(),
    arch: process.arch,
    node: process.versions.node,
    v8: process.versions.v8,
    openssl: process.versions.openssl,
    loadAverage1m: os.loadavg()[0] ?? 0,
    packages,
  };
}
