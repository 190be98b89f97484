#!/usr/bin/env node
// Serves one mutant over agentsec-adapter/1 on stdio: node harness/test/mutants/serve.mjs <name>
import { register } from 'tsx/esm/api';
register();
await import('./serve.ts');
