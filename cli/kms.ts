import { writeFileSync } from 'node:fs';
import { startAzureVault, startGcpKms, startKmsServer } from '../harness/services/kms/index.js';
import { EXIT_OK, EXIT_USAGE, parseFlags, UsageError, type Command } from './command.js';
import { openServerTelemetry, SERVER_TELEMETRY_USAGE } from './server-otlp.js';

const USAGE = `Usage: agentsec kms serve [--flavour aws] [--port N] [--mode aws|localstack] [--state FILE] [--region R]
                        [--rotation-limit N] [--log FILE|-] [--config FILE] [--otlp URL]
       agentsec kms serve --flavour azure [--port N] [--ca-out FILE] [--token T] [--log FILE|-] [--config FILE] [--otlp URL]
       agentsec kms serve --flavour gcp [--port N] [--token T] [--log FILE|-] [--config FILE] [--otlp URL]

Runs the AWS-KMS-wire-compatible endpoint (AWS JSON 1.1, X-Amz-Target: TrentService.<Op>) on
127.0.0.1 until SIGINT or SIGTERM, and prints its endpoint. Point any AWS SDK at it with dummy
credentials and the printed endpoint.

  --flavour F         aws (default), azure (Key Vault keys API over HTTPS with a certificate made at
                      start; its PEM is printed, and written to --ca-out FILE), gcp (Cloud KMS v1
                      REST/JSON over HTTP, the SDK's fallback transport); azure and gcp keep state in memory
  --token T           azure, gcp: accept only this bearer token (default: any non-empty one)
  --port N            port to listen on (default 0: a free port)
  --mode aws          strict AWS semantics (default): length-prefixed context AAD, rotation period
                      90..2560 validated, ListKeyRotations, key material id in the ciphertext
  --mode localstack   LocalStack's ciphertext layout and concatenated-context AAD, no ListKeyRotations
  --state FILE        load state from FILE and save it there (atomically, mode 0600) after each change
  --region R          region in key ARNs (default us-east-1)
  --rotation-limit N  on-demand rotations allowed per key (default 10)
${SERVER_TELEMETRY_USAGE}
`;

function intFlag(v: string | boolean | string[] | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`--${name} must be an integer ${min}..${max}`);
  return Number(v);
}

export const kmsServeCommand: Command = {
  name: 'kms serve',
  summary: 'run the AWS KMS (or Azure Key Vault, GCP Cloud KMS) compatible endpoint on 127.0.0.1',
  usage: USAGE,
  async run(args) {
    const { flags, positionals } = parseFlags(args, { strings: ['flavour', 'port', 'mode', 'state', 'region', 'rotation-limit', 'log', 'config', 'ca-out', 'token', 'otlp'] });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const port = intFlag(flags.port, 'port', 0, 65535) ?? 0;
    const flavour = (flags.flavour as string | undefined) ?? 'aws';
    if (flavour !== 'aws' && flavour !== 'azure' && flavour !== 'gcp') throw new UsageError(`--flavour must be aws, azure or gcp, got "${flavour}"`);
    if (flavour !== 'aws') return serveCloud(flavour, port, flags);
    for (const f of ['ca-out', 'token']) if (flags[f] !== undefined) throw new UsageError(`--${f} applies to --flavour azure or gcp only`);
    const mode = (flags.mode as string | undefined) ?? 'aws';
    if (mode !== 'aws' && mode !== 'localstack') throw new UsageError(`--mode must be aws or localstack, got "${mode}"`);
    const region = (flags.region as string | undefined) ?? 'us-east-1';
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new UsageError(`--region must look like us-east-1, got "${region}"`);
    const limit = intFlag(flags['rotation-limit'], 'rotation-limit', 0, 1000);
    const log = await openServerTelemetry(flags.log, flags.config, flags.otlp);
    let server;
    try {
      server = await startKmsServer({
        port,
        mode,
        region,
        ...(typeof flags.state === 'string' ? { statePath: flags.state } : {}),
        ...(limit !== undefined ? { onDemandRotationLimit: limit } : {}),
        ...(log.logger ? { logger: log.logger } : {}),
      });
    } catch (e) {
      await log.close();
      process.stderr.write(`agentsec kms serve: cannot start: ${(e as Error).message}\n`);
      return EXIT_USAGE;
    }
    process.stdout.write(`agentsec kms listening on ${server.endpoint} (mode ${mode})\n`);
    await waitForSignal();
    await server.close();
    await log.close();
    return EXIT_OK;
  },
};

/** Serves the Key Vault (azure) or Cloud KMS (gcp) endpoint until SIGINT or SIGTERM. */
async function serveCloud(flavour: 'azure' | 'gcp', port: number, flags: Record<string, string | boolean | string[] | undefined>): Promise<number> {
  for (const f of ['mode', 'state', 'region', 'rotation-limit']) if (flags[f] !== undefined) throw new UsageError(`--${f} applies to --flavour aws only`);
  if (flavour === 'gcp' && flags['ca-out'] !== undefined) throw new UsageError('--ca-out applies to --flavour azure only');
  const token = flags.token;
  if (token !== undefined && (typeof token !== 'string' || token.length === 0)) throw new UsageError('--token must be a non-empty string');
  const log = await openServerTelemetry(flags.log, flags.config, flags.otlp);
  const common = { port, ...(typeof token === 'string' ? { token } : {}), ...(log.logger ? { logger: log.logger } : {}) };
  let close: () => Promise<void>;
  try {
    if (flavour === 'azure') {
      const v = await startAzureVault(common);
      close = () => v.close();
      if (typeof flags['ca-out'] === 'string') writeFileSync(flags['ca-out'], v.cert, { mode: 0o644 });
      // @req KMS-065
      process.stdout.write(`agentsec kms listening on ${v.vaultUrl} (flavour azure, certificate sha256 ${v.fingerprint256})\n${v.cert}`);
    } else {
      const g = await startGcpKms(common);
      close = () => g.close();
      process.stdout.write(`agentsec kms listening on ${g.endpoint} (flavour gcp)\n`);
    }
  } catch (e) {
    await log.close();
    process.stderr.write(`agentsec kms serve: cannot start: ${(e as Error).message}\n`);
    return EXIT_USAGE;
  }
  await waitForSignal();
  await close();
  await log.close();
  return EXIT_OK;
}

function waitForSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
