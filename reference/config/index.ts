// In-repository exports of reference/config (the public ones are listed in api/).
export { defaultSecurityConfig, parseSecurityConfig, SECURITY_CONFIG_SCHEMA } from './security-config.js';
export type { KeyStorage, KmsProvider, Pkcs11Settings, SecurityConfig, TpmSettings } from './security-config.js';
export { loadSecurityConfig } from './load.js';
export { configJsonSchema } from './json-schema.js';
