/** The agentsec version: package.json's (the single source of truth), found by the path helper. */
export { PACKAGE_VERSION as AGENTSEC_VERSION } from '../reference/paths.js';
