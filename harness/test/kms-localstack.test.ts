/**
 * The KMS suite against a real LocalStack, through @testcontainers/localstack, where a Docker engine
 * and a LocalStack image are present. No registry is reachable on these machines, so the image must
 * already be in the local engine (AGENTSEC_LOCALSTACK_IMAGE names it); otherwise the suite is skipped
 * with the reason -- also under CI, since the image cannot be had there.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../../vectors/external.js';
import { defineKmsSuite, type KmsTarget } from './kms-suite.js';

function localImage(): string | undefined {
  const r = spawnSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return undefined;
  const images = r.stdout.split('\n').filter(Boolean);
  const wanted = process.env.AGENTSEC_LOCALSTACK_IMAGE;
  if (wanted) return images.includes(wanted) ? wanted : undefined;
  return images.find((i) => /(^|\/)localstack(\/localstack)?:/.test(i));
}

const image = localImage();
const available = requireService(
  'LocalStack (Docker engine with a local localstack image)',
  image !== undefined,
  'start dockerd and load an image: docker load < localstack.tar; set AGENTSEC_LOCALSTACK_IMAGE=localstack/localstack:<tag>',
  true,
);

describe('LocalStack availability', () => {
  it('KMS-042: the suite runs only when the engine lists a LocalStack image', () => {
    expect(available).toBe(image !== undefined);
    if (image) expect(image).toMatch(/localstack/);
  });
});

describe.skipIf(!available)('LocalStack through testcontainers', () => {
  const target: KmsTarget = { endpoint: '' };
  let stop: (() => Promise<unknown>) | undefined;
  beforeAll(async () => {
    // Ryuk's image would have to be pulled; containers are stopped in afterAll instead.
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
    const { LocalstackContainer } = await import('@testcontainers/localstack');
    const started = await new LocalstackContainer(image!).start();
    target.endpoint = started.getConnectionUri().replace('localhost', '127.0.0.1');
    stop = () => started.stop();
  }, 900_000);
  afterAll(async () => {
    await stop?.();
  });
  defineKmsSuite('LocalStack', () => target, { strictContext: false, listKeyRotations: false, validatesRotationPeriod: false, onDemandLimit: 10 });
});
