/**
 * The package's public surface, read from the shipped declarations (dist/api/*.d.ts) the way a
 * TypeScript user sees it: every exported name of every `exports` subpath with its declaration.
 * A change to a public name or signature changes api/api-surface.txt; review it and run
 * `npx vitest run api -u` to accept it.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; default: string }> };
const entries = Object.entries(pkg.exports).filter((e): e is [string, { types: string; default: string }] => typeof e[1] === 'object');

function surface(): { text: string; counts: Record<string, number>; names: Set<string> } {
  const files = entries.map(([, v]) => join(ROOT, v.types));
  const program = ts.createProgram(files, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });
  const out: string[] = [];
  const counts: Record<string, number> = {};
  const names = new Set<string>();
  for (const [sub, v] of entries) {
    const sf = program.getSourceFile(join(ROOT, v.types))!;
    const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(sf)!).sort((a, b) => a.name.localeCompare(b.name));
    const name = sub === '.' ? 'agentsec' : `agentsec/${sub.slice(2)}`;
    counts[name] = exported.length;
    out.push(`## ${name} (${exported.length} names)`, '');
    for (const sym of exported) {
      names.add(sym.name);
      const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
      for (const d of target.declarations ?? []) {
        const node = ts.isVariableDeclaration(d) ? d.parent.parent : d;
        const text = printer.printNode(ts.EmitHint.Unspecified, node, d.getSourceFile()).replace(/^export (declare )?/, '');
        out.push(sym.name === target.name ? text : `${sym.name} = ${text}`);
      }
    }
    out.push('');
  }
  return { text: out.join('\n'), counts, names };
}

describe('public API', () => {
  const { text, counts, names } = surface();

  it('CONV-007: the declarations of every exports subpath match the reviewed API snapshot', async () => {
    console.log(`[api] public names: ${JSON.stringify(counts)}, total ${Object.values(counts).reduce((a, b) => a + b, 0)}`);
    await expect(text).toMatchFileSnapshot('../api-surface.txt');
  });

  it('CONV-007: internals stay private: no KDF or ratchet step, replay window, TPM marshalling or provider registry is exported', () => {
    for (const internal of ['kdfRoot', 'kdfChain', 'messageKeys', 'handshakeKdf', 'ratchetEncrypt', 'ratchetDecrypt', 'checkReplay', 'acceptNonce', 'REPLAY_WINDOW', 'kdfa', 'kdfe', 'TpmClient', 'registerProviderFactory', 'writeFileAtomicSync', 'mutationActiveForTestingOnly']) {
      expect(names.has(internal), internal).toBe(false);
    }
    expect(names.has('NoiseChannel')).toBe(true);
  });

  it('CONV-007: no public entry re-exports with export *', () => {
    for (const [, v] of entries) expect(readFileSync(join(ROOT, v.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts')), 'utf8')).not.toMatch(/^export \*/m);
  });
});
