import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../reference/paths.js';
import { computeCoverage, coveragePassed, renderHtml } from '../spec/tools/coverage.js';
import { extractRequirements } from '../spec/tools/extract.js';
import { adapterProtocolSchema } from '../spec/tools/adapter-protocol.js';
import { renderCapabilityTypes, renderProtocolTypes } from '../spec/tools/adapter-protocol-types.js';
import { renderReasonsTable, withReasonsTable } from '../spec/tools/error-reasons.js';
import { SpecFormatError } from '../spec/tools/requirements.js';
import { MODELS, SEEDS, checkModel } from '../spec/tools/quint.js';
import { loadMutants, MUTANT_BUDGET, runMutants } from '../spec/tools/mutants.js';
import { corpusCoverage, renderCoverage } from '../spec/tools/trace-coverage.js';
import { explore, type BfsResult } from '../spec/tools/bfs.js';
import { ENVELOPE } from '../spec/tools/envelope-bfs.js';
import { RATCHET } from '../spec/tools/ratchet-bfs.js';
import { bfs as noiseBfs } from '../spec/tools/noise-bfs.js';
import { EXIT_FAILURES, EXIT_OK, UsageError, parseFlags, type Command } from './command.js';

/** The project root, where spec/ and the sources are. */
export const PROJECT_ROOT = PACKAGE_ROOT;

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** `spec check --mutants`: every planted model bug must be caught by its invariant within its budget. */
async function checkMutants(dir: string, only: string[]): Promise<number> {
  const list = loadMutants(dir).filter((x) => only.length === 0 || only.includes(x.model));
  const t0 = Date.now();
  const results = await runMutants(dir, list, 2);
  const rows = results.map((r) => [r.model, r.id, r.invariant, r.caught ? `caught at sample ${r.sample ?? '?'}` : `NOT CAUGHT in ${r.budget.samples} samples`, `${r.budget.samples} x ${r.budget.steps} of ${r.budget.step} (seed ${r.budget.seed})`]);
  const head = ['model', 'mutant', 'invariant', 'result', 'budget'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd();
  process.stdout.write(`${line(head)}\n${rows.map(line).join('\n')}\n`);
  const missed = results.filter((r) => !r.caught);
  for (const r of missed) process.stdout.write(`\n${r.id} (${r.bug}) was not caught by ${r.invariant}:\n${r.sim.out.slice(-600)}\n`);
  process.stdout.write(`${results.length - missed.length}/${results.length} model mutants caught in ${secs(Date.now() - t0)}\n`);
  return missed.length === 0 ? EXIT_OK : EXIT_FAILURES;
}

/** The transcribed models and the depth `npm test` searches them to (seconds on a loaded machine). */
export const BFS_MODELS: readonly { name: string; depth: number; run: (depth: number) => BfsResult }[] = [
  { name: 'noise_handshake', depth: 9, run: noiseBfs },
  { name: 'double_ratchet', depth: 7, run: (d) => explore(RATCHET, d) },
  { name: 'envelope_lifecycle', depth: 6, run: (d) => explore(ENVELOPE, d) },
];

/** `spec check --bfs`: the bounded exhaustive search of every transcribed model (MODEL-054). */
function checkBfs(only: string[], depth: number | undefined): number {
  let bad = 0;
  for (const m of BFS_MODELS.filter((x) => only.length === 0 || only.includes(x.name))) {
    const t0 = Date.now();
    const r = m.run(depth ?? m.depth);
    process.stdout.write(`${m.name}: depth ${r.depth}, ${r.states} distinct states, ${r.transitions} transitions (new per depth ${r.perDepth.join(',')}), ${r.violations.length === 0 ? 'no violation' : 'VIOLATIONS'} in ${secs(Date.now() - t0)}\n`);
    for (const v of r.violations) process.stdout.write(`  ${v}\n`);
    if (r.violations.length > 0) bad++;
  }
  return bad === 0 ? EXIT_OK : EXIT_FAILURES;
}

export const specCheckCommand: Command = {
  name: 'spec check',
  summary: 'typecheck, test and simulate the Quint models',
  usage: `Usage: agentsec spec check [--seed N] [--quick] [--model NAME ...] [--mutants | --bfs [--depth N]]

For each Quint model in spec/models/: typecheck it, run its \`run\` tests (quint test), then simulate
it with fixed seeds (${SEEDS.join(', ')}) checking every invariant in every state (quint run
--invariants ... --backend typescript). Fails (exit 1) on a type error, a failed test or an invariant
violation, and prints the violating trace. Then prints which (action x outcome) pairs the MODEL
requirements name are witnessed by the trace corpus (vectors/traces/), and fails when one is not.

  --seed N       simulate with this seed only
  --quick        a tenth of the simulation samples
  --model NAME   only this model (repeatable): ${MODELS.map((m) => m.name).join(', ')}
  --mutants      the model mutation check instead: every planted bug of spec/models/mutants/*.json
                 must be caught by its invariant within its budget (default ${MUTANT_BUDGET.samples} samples
                 x ${MUTANT_BUDGET.steps} steps, seed ${MUTANT_BUDGET.seed}); prints the table
  --bfs          the bounded exhaustive search instead: breadth-first over the TypeScript
                 transcriptions (${BFS_MODELS.map((m) => `${m.name} to depth ${m.depth}`).join(', ')}), every
                 invariant in every state; prints the states explored
  --depth N      search to depth N instead (deeper runs take minutes)
`,
  async run(args) {
    const { flags } = parseFlags(args, { strings: ['seed', 'depth'], booleans: ['quick', 'mutants', 'bfs'], multi: ['model'] });
    const seed = flags.seed === undefined ? undefined : Number(flags.seed);
    if (seed !== undefined && (!Number.isSafeInteger(seed) || seed < 0)) throw new UsageError('--seed must be a non-negative integer');
    const only = (flags.model as string[] | undefined) ?? [];
    const unknown = only.filter((n) => !MODELS.some((m) => m.name === n));
    if (unknown.length > 0) throw new UsageError(`unknown model ${unknown.join(', ')} (models: ${MODELS.map((m) => m.name).join(', ')})`);
    const models = MODELS.filter((m) => only.length === 0 || only.includes(m.name));
    const dir = join(PROJECT_ROOT, 'spec', 'models');
    if (flags.mutants === true) return checkMutants(dir, only);
    if (flags.bfs === true) {
      const depth = flags.depth === undefined ? undefined : Number(flags.depth);
      if (depth !== undefined && (!Number.isSafeInteger(depth) || depth < 1 || depth > 20)) throw new UsageError('--depth must be an integer 1..20');
      return checkBfs(only, depth);
    }
    const t0 = Date.now();
    const reports = await Promise.all(models.map((m) => checkModel(dir, m, { ...(seed !== undefined ? { seeds: [seed] } : {}), scale: flags.quick === true ? 0.1 : 1 })));
    let failed = 0;
    for (const r of reports) {
      if (r.typecheck.code !== 0) {
        failed++;
        process.stdout.write(`${r.name}: TYPECHECK FAILED\n${r.typecheck.out}\n`);
        continue;
      }
      if (!r.tests || r.tests.code !== 0) {
        failed++;
        process.stdout.write(`${r.name}: typecheck ok; TESTS FAILED\n${r.tests?.out ?? ''}\n`);
        continue;
      }
      const sims = r.simulations;
      const total = sims.reduce((n, s) => n + s.samples, 0);
      const head = `${r.name}: typecheck ok, ${r.tests.passed} tests passed, ${sims[0]!.invariants.length} invariants x ${total} samples (${sims.length} seeds: ${sims.map((s) => `${s.seed} x ${s.samples}`).join(', ')}) x ${sims[0]!.steps} steps`;
      if (r.ok) {
        process.stdout.write(`${head}: no violation (${sims.map((s) => secs(s.ms)).join(' + ')})\n  invariants: ${sims[0]!.invariants.join(', ')}\n`);
      } else {
        failed++;
        const bad = sims.find((s) => !s.ok)!;
        const cut = bad.out.lastIndexOf('An example execution:');
        process.stdout.write(`${head}: VIOLATION (seed ${bad.seed})\n${cut >= 0 ? bad.out.slice(cut) : bad.out}\n`);
      }
    }
    process.stdout.write(`${reports.length - failed}/${reports.length} models ok in ${secs(Date.now() - t0)}\n`);
    // MODEL-053: every (action x outcome) pair the requirements name has a witness in the committed corpus.
    const rows = corpusCoverage(join(PROJECT_ROOT, 'vectors', 'traces')).filter((r) => only.length === 0 || only.includes(r.model));
    const missing = rows.filter((r) => r.traces.length === 0);
    process.stdout.write(`\ntrace corpus coverage (action/outcome: situation, requirement, witnesses):\n${renderCoverage(rows)}\n`);
    process.stdout.write(`${rows.length - missing.length}/${rows.length} required pairs witnessed\n`);
    return failed === 0 && missing.length === 0 ? EXIT_OK : EXIT_FAILURES;
  },
};

export const specExtractCommand: Command = {
  name: 'spec extract',
  summary: 'write spec/requirements.json from spec/*.md',
  usage: `Usage: agentsec spec extract

Parses every "- **AREA-NNN** LEVEL: text" item of spec/*.md and writes spec/requirements.json
(id, level, section, text; sorted by id), spec/config.schema.json from the configuration's
validator, and protocol/methods.ts and protocol/capabilities.ts from spec/adapter-protocol.schema.json. A duplicate or malformed ID is an error (exit 1).
`,
  async run(args) {
    parseFlags(args, {});
    try {
      const r = extractRequirements(join(PROJECT_ROOT, 'spec'));
      process.stdout.write(`${r.count} requirements -> spec/requirements.json (${r.changed ? 'updated' : 'unchanged'})\n`);
      // @req CONFIG-016: the configuration's JSON Schema is generated from its validator.
      const { configJsonSchema, defaultSecurityConfig, SECURITY_CONFIG_SCHEMA } = await import('../reference/config/index.js');
      writeFileSync(join(PROJECT_ROOT, 'spec', 'config.schema.json'), `${JSON.stringify(configJsonSchema(SECURITY_CONFIG_SCHEMA, defaultSecurityConfig), null, 2)}\n`);
      process.stdout.write('configuration schema -> spec/config.schema.json\n');
      // The adapter contract's method types, rendered from its schema.
      writeFileSync(join(PROJECT_ROOT, 'protocol', 'methods.ts'), renderProtocolTypes(adapterProtocolSchema()));
      process.stdout.write('adapter method types -> protocol/methods.ts\n');
      // @req CONF-122
      writeFileSync(join(PROJECT_ROOT, 'protocol', 'capabilities.ts'), renderCapabilityTypes(adapterProtocolSchema()));
      process.stdout.write('capability types -> protocol/capabilities.ts\n');
      // @req CONV-022
      const { REASONS, REASON_FAMILIES } = await import('../reference/reasons.js');
      const conventions = join(PROJECT_ROOT, 'spec', 'conventions.md');
      writeFileSync(conventions, withReasonsTable(readFileSync(conventions, 'utf8'), renderReasonsTable(REASONS, REASON_FAMILIES)));
      process.stdout.write(`errors table (${Object.keys(REASONS).length} reasons) -> spec/conventions.md\n`);
      return EXIT_OK;
    } catch (e) {
      if (e instanceof SpecFormatError) {
        process.stderr.write(`agentsec spec extract: ${e.message}\n`);
        return EXIT_FAILURES;
      }
      throw e;
    }
  },
};

export const specCoverageCommand: Command = {
  name: 'spec coverage',
  summary: 'check every MUST is tested or excepted',
  usage: `Usage: agentsec spec coverage [--report DIR]

Traceability check: every MUST / MUST NOT of spec/*.md must be cited by a test (its ID in a string
of a *.test.ts file), a conformance suite (harness/suites: reqs lists) or a vector file ("reqs"),
or be listed in spec/exceptions.md as "- AREA-NNN: reason". IDs cited anywhere that are not in the
spec are errors. Exit 1 lists what is missing.

  --report DIR   also write DIR/traceability.html and DIR/traceability.json (id -> citing files)
`,
  async run(args) {
    const { flags } = parseFlags(args, { strings: ['report'] });
    let result;
    try {
      result = computeCoverage(PROJECT_ROOT);
    } catch (e) {
      if (e instanceof SpecFormatError) {
        process.stderr.write(`agentsec spec coverage: ${e.message}\n`);
        return EXIT_FAILURES;
      }
      throw e;
    }
    const c = result.counts;
    const out: string[] = [
      `requirements: ${c.requirements}  MUST/MUST NOT: ${c.musts}  covered: ${c.covered}  excepted: ${c.excepted}  uncovered: ${c.uncovered}  unknown IDs cited: ${result.unknown.length}`,
    ];
    const uncovered = result.rows.filter((r) => r.status === 'uncovered');
    if (uncovered.length > 0) {
      out.push('', `uncovered (no test, suite or vector cites them; add one, or an entry "- ID: reason" in spec/exceptions.md):`);
      for (const r of uncovered) out.push(`  ${r.id} ${r.level} (${r.section}): ${r.text.length > 100 ? `${r.text.slice(0, 97)}...` : r.text}`);
    }
    if (result.unknown.length > 0) {
      out.push('', 'unknown IDs (cited but not in spec/*.md):');
      for (const u of result.unknown) out.push(`  ${u.id} in ${u.file} (${u.kind})`);
    }
    if (result.exceptionErrors.length > 0) {
      out.push('', 'spec/exceptions.md:');
      for (const e of result.exceptionErrors) out.push(`  ${e}`);
    }
    if (typeof flags.report === 'string') {
      const dir = resolve(flags.report);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'traceability.html'), renderHtml(result));
      writeFileSync(join(dir, 'traceability.json'), `${JSON.stringify({ counts: result.counts, unknown: result.unknown, exceptionErrors: result.exceptionErrors, requirements: result.rows }, null, 2)}\n`);
      out.push('', `matrix: ${join(dir, 'traceability.html')}`);
    }
    const ok = coveragePassed(result);
    (ok ? process.stdout : process.stderr).write(`${out.join('\n')}\n`);
    return ok ? EXIT_OK : EXIT_FAILURES;
  },
};
