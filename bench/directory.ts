/**
 * The directory benchmark group (`agentsec bench --directory`): a real `agentsec directory serve`
 * process per store (a SQLite file; PostgreSQL when AGENTSEC_POSTGRES_URL is set) holding 100,000
 * stored bundles, driven by concurrent signed clients in this process over loopback. Measures
 *   fetch    signed bundle fetches spread over 100 agents, C at a time: req/s, p50, p99
 *   publish  signed publications of 100 X3DH bundles, 4 at a time: req/s, p50, p99
 *   during   fetch p50 / p99 while maximal publications (1000 PQXDH bundles, ~3.9 MB) run
 * Every answer is checked (a fetch returns a verifiable one-time bundle of the agent asked for; a
 * publication stores what it sent), so a fast wrong answer cannot pass for a result.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { decodeBundle, getProvider, SessionAgent, toHex } from '../reference/index.js';
import { agentSigner, DirectoryClient } from '../services/directory/client.js';
import type { DirectoryLimits } from '../services/directory/limits.js';
import { VerificationError } from './case.js';

const p = getProvider('node');

export interface DirectoryBenchOptions {
  /** Bundles stored before measuring (split over `agents` agents). */
  readonly stored: number;
  readonly agents: number;
  readonly fetches: number;
  readonly fetchConcurrency: number;
  readonly publishes: number;
  readonly maximalPublishes: number;
  readonly postgresUrl?: string;
  /** The CLI entry (bin/agentsec.mjs) that serves the directory. */
  readonly cli: string;
  readonly progress?: (line: string) => void;
}

export const DEFAULT_DIRECTORY_BENCH = { stored: 100_000, agents: 100, fetches: 6000, fetchConcurrency: 16, publishes: 60, maximalPublishes: 3 };

export interface DirectoryStoreResult {
  readonly store: string;
  readonly stored: number;
  readonly fetch: Stats;
  readonly publish: Stats;
  readonly fetchDuringMaximalPublish: Stats;
  readonly maximalPublishMs: number[];
}

export interface Stats {
  readonly requests: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /**
   * CPU time the directory process spent per request (Linux /proc, 10 ms ticks over the whole
   * phase): on a shared machine, 1000 / serverCpuMs is the rate one free core would serve.
   */
  readonly serverCpuMs?: number;
}

/** utime + stime of a process in ms (Linux; undefined elsewhere). */
function cpuMs(pid: number | undefined): number | undefined {
  const f = `/proc/${pid}/stat`;
  if (pid === undefined || !existsSync(f)) return undefined;
  const fields = readFileSync(f, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
const perRequest = (before: number | undefined, after: number | undefined, n: number) => (before === undefined || after === undefined ? undefined : round((after - before) / n));

const LOAD_LIMITS: Partial<DirectoryLimits> = { clientBurst: 1e9, clientPerSecond: 1e9, fetchesPerAgent: 1e9, replayCacheEntries: 1_000_000 };

function stats(latencies: number[], elapsedMs: number): Stats {
  const s = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { requests: s.length, perSecond: Math.round((s.length / elapsedMs) * 1000), p50Ms: round(at(0.5)), p99Ms: round(at(0.99)) };
}
const round = (x: number) => Math.round(x * 100) / 100;

async function serve(cli: string, store: string): Promise<{ child: ChildProcess; url: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'agentsec-dirbench-'));
  writeFileSync(join(dir, 'limits.json'), JSON.stringify(LOAD_LIMITS));
  const child = spawn(process.execPath, [cli, 'directory', 'serve', '--store', store, '--limits', join(dir, 'limits.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`directory exited (${code}): ${err}`)));
  });
  return { child, url };
}

/** Runs `total` calls of `fn`, `concurrency` at a time; returns each call's latency in ms. */
async function load(total: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<{ latencies: number[]; elapsedMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        await fn(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, elapsedMs: performance.now() - started };
}

export async function runDirectoryBench(o: DirectoryBenchOptions): Promise<DirectoryStoreResult[]> {
  const say = o.progress ?? (() => undefined);
  const perAgent = Math.ceil(o.stored / o.agents);
  if (perAgent > 1000) throw new VerificationError('at most 1000 bundles per agent (one maximal publication each)');
  say(`directory: generating ${o.agents} agents x ${perAgent} X3DH bundles and ${o.maximalPublishes + 1} maximal PQXDH batches`);
  const agents = Array.from({ length: o.agents }, (_, i) => {
    const agent = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
    // perAgent - 1 one-time bundles and the reusable one: perAgent bundles, one maximal publication.
    return { name: `bench-${i}`, agent, batch: agent.bundleBatch(perAgent - 1) };
  });
  const publisher = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
  const publishBatches = Array.from({ length: o.publishes }, () => publisher.bundleBatch(100));
  const maximal = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 0 });
  const maximalBatches = Array.from({ length: o.maximalPublishes }, () => maximal.bundleBatch(999));
  const fetcher = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });

  const stores: { label: string; spec: string; cleanup: () => Promise<void> }[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'agentsec-dirbench-'));
  stores.push({ label: 'sqlite', spec: `sqlite:${join(dir, 'dir.sqlite')}`, cleanup: async () => rmSync(dir, { recursive: true, force: true }) });
  if (o.postgresUrl) {
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    stores.push({
      label: 'postgres',
      spec: `${o.postgresUrl}${o.postgresUrl.includes('?') ? '&' : '?'}schema=${schema}`,
      cleanup: async () => {
        const pg = (await import('pg')).default;
        const c = new pg.Client({ connectionString: o.postgresUrl });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      },
    });
  }

  const results: DirectoryStoreResult[] = [];
  for (const s of stores) {
    const { child, url } = await serve(o.cli, s.spec);
    try {
      const as = (name: string, a: SessionAgent) => new DirectoryClient(url, { signer: agentSigner(name, a.identity) });
      say(`directory/${s.label}: storing ${perAgent * o.agents} bundles`);
      await load(agents.length, 4, async (i) => {
        const a = agents[i]!;
        await as(a.name, a.agent).publish(a.name, a.batch);
      });
      const fc = as('bench-fetcher', fetcher);
      await fc.publish('bench-fetcher', fetcher.bundleBatch(0));
      const stored = agents.reduce((n, a) => n + a.batch.length, 0);
      const info = await fc.info(agents[0]!.name);
      if (info.single_use_remaining !== perAgent - 1) throw new VerificationError(`directory/${s.label}: ${info.single_use_remaining} bundles stored, expected ${perAgent - 1}`);

      const checkedFetch = async (i: number) => {
        const target = agents[i % agents.length]!;
        const r = await fc.fetchBundle(target.name);
        const b = decodeBundle(p, r.bundle);
        if (!r.oneTime || !b.oneTimePrekey || toHex(b.identitySigning) !== toHex(target.agent.identity.signingPublic)) throw new VerificationError(`directory/${s.label}: fetch ${i} returned a wrong bundle`);
      };
      say(`directory/${s.label}: ${o.fetches} fetches, ${o.fetchConcurrency} at a time`);
      const warm = Math.min(200, o.fetches);
      await load(warm, o.fetchConcurrency, checkedFetch);
      const c0 = cpuMs(child.pid);
      const f = await load(o.fetches, o.fetchConcurrency, (i) => checkedFetch(i + warm));
      const fetchCpu = perRequest(c0, cpuMs(child.pid), o.fetches);

      say(`directory/${s.label}: ${o.publishes} publications of 100 bundles, 4 at a time`);
      const pc = as('bench-publisher', publisher);
      const c1 = cpuMs(child.pid);
      const pub = await load(o.publishes, 4, async (i) => {
        const r = await pc.publish('bench-publisher', publishBatches[i]!);
        if (r.single_use !== 100) throw new VerificationError(`directory/${s.label}: publication stored ${r.single_use}`);
      });
      const publishCpu = perRequest(c1, cpuMs(child.pid), o.publishes);

      say(`directory/${s.label}: fetches during ${o.maximalPublishes} maximal publications`);
      const mc = as('bench-maximal', maximal);
      const maximalMs: number[] = [];
      let publishing = true;
      const during: number[] = [];
      let k = 0;
      const duringStart = performance.now();
      const background = (async () => {
        for (const batch of maximalBatches) {
          const t = performance.now();
          const r = await mc.publish('bench-maximal', batch);
          maximalMs.push(round(performance.now() - t));
          if (r.single_use !== 999) throw new VerificationError(`directory/${s.label}: maximal publication stored ${r.single_use}`);
        }
        publishing = false;
      })();
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (publishing) {
            const t = performance.now();
            await checkedFetch(1_000_000 + k++);
            during.push(performance.now() - t);
          }
        }),
      );
      await background;
      results.push({
        store: s.label,
        stored,
        fetch: { ...stats(f.latencies, f.elapsedMs), ...(fetchCpu === undefined ? {} : { serverCpuMs: fetchCpu }) },
        publish: { ...stats(pub.latencies, pub.elapsedMs), ...(publishCpu === undefined ? {} : { serverCpuMs: publishCpu }) },
        fetchDuringMaximalPublish: stats(during, performance.now() - duringStart),
        maximalPublishMs: maximalMs,
      });
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
      await s.cleanup();
    }
  }
  return results;
}

export function formatDirectoryBench(rs: DirectoryStoreResult[], o: { fetchConcurrency: number }): string {
  const lines = [
    `directory (agentsec directory serve, one process; clients in this process; loopback)`,
    `| store | stored bundles (one-time + reusable) | fetch req/s (${o.fetchConcurrency} concurrent) | fetch p50 / p99 ms | server CPU ms / fetch | publish req/s (100 bundles, 4 concurrent) | publish p50 / p99 ms | server CPU ms / publish | fetch p50 / p99 ms during maximal publish (4 concurrent) | maximal publish (999+1 PQXDH, ~3.9 MB) ms |`,
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rs) {
    lines.push(`| ${r.store} | ${r.stored} | ${r.fetch.perSecond} | ${r.fetch.p50Ms} / ${r.fetch.p99Ms} | ${r.fetch.serverCpuMs ?? 'n/a'} | ${r.publish.perSecond} | ${r.publish.p50Ms} / ${r.publish.p99Ms} | ${r.publish.serverCpuMs ?? 'n/a'} | ${r.fetchDuringMaximalPublish.p50Ms} / ${r.fetchDuringMaximalPublish.p99Ms} (${r.fetchDuringMaximalPublish.requests} fetches) | ${r.maximalPublishMs.join(', ')} |`);
  }
  lines.push(`load average at the end: ${(globalThis.process.platform === 'linux' && existsSync('/proc/loadavg') ? readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') : 'n/a')}`);
  return lines.join('\n');
}
