import type { Area } from './area.js';

/** agentsec-adapter/1 methods of the noise area, served by the reference. */
export const noiseArea: Area = {
  name: 'noise',
  capabilities: () => ({}),
  methods: {},
};
