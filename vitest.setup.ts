// Property tests run from a fixed seed so that CI is reproducible; FC_SEED=<n> explores another
// part of the input space (a failure prints the seed and path that replay it).
import fc from 'fast-check';

const seed = process.env.FC_SEED === undefined ? 20261129 : Number(process.env.FC_SEED);
if (!Number.isSafeInteger(seed)) throw new Error('FC_SEED must be an integer');
fc.configureGlobal({ seed });
