/**
 * fast-check is loaded only when fuzzing starts, so every other command works without it (it is a
 * test-time tool for most users of the library). Absent, `agentsec fuzz` says how to install it.
 */
import type * as FastCheckModule from 'fast-check';

export type FastCheck = typeof FastCheckModule;

/** fast-check could not be loaded: a setup problem of this machine, reported as usage (exit 2). */
export class FastCheckMissing extends Error {
  override name = 'FastCheckMissing';
}

let loaded: FastCheck | undefined;

// @req CONF-086
const importFastCheck = (): Promise<unknown> => import('fast-check');

export async function loadFastCheck(importer: () => Promise<unknown> = importFastCheck): Promise<FastCheck> {
  if (loaded && importer === importFastCheck) return loaded;
  let mod: unknown;
  try {
    mod = await importer();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new FastCheckMissing('agentsec fuzz needs the fast-check package, which is not installed here: run `npm install --save-dev fast-check@4.11.0` in the project that runs agentsec (or install agentsec with its dev dependencies)');
    }
    throw e;
  }
  const m = mod as FastCheck & { default?: FastCheck };
  const fc = typeof m.commands === 'function' ? m : m.default;
  if (!fc || typeof fc.commands !== 'function' || typeof fc.asyncModelRun !== 'function') throw new FastCheckMissing('the installed fast-check has no commands/asyncModelRun: install fast-check@4.11.0');
  if (importer === importFastCheck) loaded = fc;
  return fc;
}
