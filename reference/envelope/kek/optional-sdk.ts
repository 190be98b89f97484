/**
 * Cloud SDKs are optional dependencies, loaded on first use: the reference starts without them,
 * and a KEK provider whose SDK is missing fails with a typed error naming the package to install.
 */
import { AgentsecError } from '../../errors.js';

export async function loadOptionalSdk<T>(pkg: string, importer: () => Promise<T>, purpose: string): Promise<T> {
  try {
    return await importer();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      // @req ENV-062
      throw new AgentsecError('unsupported', 'KMS_SDK_MISSING', `${purpose} needs the optional package ${pkg}, which is not installed: run \`npm install ${pkg}\``);
    }
    throw e;
  }
}
