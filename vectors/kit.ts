/**
 * Byte helpers shared by the vector generators. The generators compute expected values on @noble
 * primitives from the spec's formulas and never import the reference, so they keep their own
 * helpers here rather than reference/bytes.ts.
 */
export const enc = new TextEncoder();
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const u32 = (n: number): Uint8Array => new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
export const u16 = (n: number): Uint8Array => new Uint8Array([n >>> 8, n & 0xff]);
export const cat = (...p: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(p.reduce((s, x) => s + x.length, 0));
  let o = 0;
  for (const x of p) {
    out.set(x, o);
    o += x.length;
  }
  return out;
};
