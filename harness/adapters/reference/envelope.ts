import type { Area } from './area.js';

/** agentsec-adapter/1 methods of the envelope area, served by the reference. */
export const envelopeArea: Area = {
  name: 'envelope',
  capabilities: () => ({}),
  methods: {},
};
