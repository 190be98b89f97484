import type { Area } from './area.js';

/** agentsec-adapter/1 methods of the prim area, served by the reference. */
export const primArea: Area = {
  name: 'prim',
  capabilities: () => ({}),
  methods: {},
};
