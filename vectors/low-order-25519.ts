/**
 * The 14 low-order X25519 public key encodings (spec/noise.md NOISE-026, spec/crypto.md CRYPTO-003):
 * 0, 1, the two points of order 8, p-1, p, p+1, then the same seven with the top bit set.
 */
const CANONICAL = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

export const LOW_ORDER_25519: readonly string[] = [
  ...CANONICAL,
  ...CANONICAL.map((h) => h.slice(0, 62) + (parseInt(h.slice(62), 16) | 0x80).toString(16).padStart(2, '0')),
];
