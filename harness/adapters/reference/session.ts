import type { Area } from './area.js';

/** agentsec-adapter/1 methods of the session area, served by the reference. */
export const sessionArea: Area = {
  name: 'session',
  capabilities: () => ({}),
  methods: {},
};
