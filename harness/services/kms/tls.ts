/**
 * A throwaway TLS identity for a loopback endpoint: an ECDSA P-256 key and a self-signed X.509 v3
 * certificate for 127.0.0.1, ::1 and localhost, made at startup with node:crypto (DER written
 * here; Node has no certificate builder). Clients trust exactly this certificate (its PEM is the CA
 * they pass); nothing is written to disk.
 */
import { generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';

export interface LoopbackTls {
  /** PEM certificate: the server's and the one CA a client must trust. */
  readonly cert: string;
  /** PEM PKCS#8 private key (held in memory only). */
  readonly key: string;
  /** SHA-256 fingerprint, printed so an operator can pin it. */
  readonly fingerprint256: string;
}

const len = (n: number): Buffer => {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let x = n; x > 0; x >>= 8) bytes.unshift(x & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
};
const tlv = (tag: number, ...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
};
const seq = (...parts: Buffer[]): Buffer => tlv(0x30, ...parts);
const oid = (dotted: string): Buffer => {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const sub: number[] = [n & 0x7f];
    for (let x = n >>> 7; x > 0; x >>>= 7) sub.unshift((x & 0x7f) | 0x80);
    out.push(...sub);
  }
  return tlv(0x06, Buffer.from(out));
};
const posInt = (b: Buffer): Buffer => tlv(0x02, b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
const utcTime = (d: Date): Buffer => tlv(0x17, Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z', 'ascii'));
const name = (cn: string): Buffer => seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));
const extension = (id: string, critical: boolean, value: Buffer): Buffer => seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));

/** Makes a fresh key and certificate valid from one hour ago for `days` days. */
export function makeLoopbackTls(days = 7, now = Date.now()): LoopbackTls {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const sigAlg = seq(oid('1.2.840.10045.4.3.2')); // ecdsa-with-SHA256
  const subject = name('agentsec loopback endpoint');
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const san = seq(
    tlv(0x87, Buffer.from([127, 0, 0, 1])),
    tlv(0x87, Buffer.concat([Buffer.alloc(15), Buffer.from([1])])),
    tlv(0x82, Buffer.from('localhost', 'ascii')),
  );
  const tbs = seq(
    tlv(0xa0, posInt(Buffer.from([2]))),
    posInt(serial),
    sigAlg,
    subject,
    seq(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + days * 86_400_000))),
    subject,
    spki,
    tlv(
      0xa3,
      seq(
        extension('2.5.29.19', true, seq(tlv(0x01, Buffer.from([0xff])))), // basicConstraints cA (a self-signed trust anchor)
        extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x02, 0x84]))), // keyUsage digitalSignature, keyCertSign
        extension('2.5.29.17', false, san),
      ),
    ),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const der = seq(tbs, sigAlg, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const cert = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
  const x = new X509Certificate(cert);
  if (!x.verify(publicKey) || !x.checkIP('127.0.0.1')) throw new Error('generated loopback certificate does not verify');
  return { cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, fingerprint256: x.fingerprint256 };
}
