import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AgentsecError } from '../errors.js';
import { canonicalJson, jcs } from '../identity/canonical-json.js';

interface Rfc8785Examples {
  serialization: { input: string; output: string };
  sorting: { input: string; keyOrder: string[] };
  numbers: [string, string | null][];
}
const examples = JSON.parse(readFileSync(new URL('../../vectors/third_party/rfc8785/examples.json', import.meta.url), 'utf8')) as Rfc8785Examples;

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof AgentsecError) return `${e.kind}/${e.reason}`;
    throw e;
  }
  return 'accepted';
}

describe('RFC 8785 (JCS) test data', () => {
  it('ID-030: the serialization example of section 3.2.2', () => {
    expect(jcs(JSON.parse(examples.serialization.input))).toBe(examples.serialization.output);
  });

  it('ID-030: the property sorting example of section 3.2.3 (UTF-16 code unit order)', () => {
    const value = JSON.parse(examples.sorting.input) as Record<string, string>;
    const expected = '{' + examples.sorting.keyOrder.map((k) => `${JSON.stringify(k)}:${JSON.stringify(value[k])}`).join(',') + '}';
    expect(jcs(value)).toBe(expected);
  });

  it.each(examples.numbers)('ID-030: the IEEE 754 value %s serializes as %s (Appendix B)', (hex, text) => {
    const n = Buffer.from(hex, 'hex').readDoubleBE(0);
    if (text === null) expect(refusal(() => jcs(n))).toBe('decode_failure/CANONICAL_JSON_VALUE');
    else expect(jcs(n)).toBe(text);
  });
});

describe('canonical identity documents', () => {
  it('ID-030: documents hold strings, arrays and objects only; lone surrogates are refused', () => {
    expect(canonicalJson({ b: ['x', { d: 'y', c: '\u20ac' }], a: '\ud83d\ude00' })).toBe('{"a":"\ud83d\ude00","b":["x",{"c":"\u20ac","d":"y"}]}');
    for (const bad of [{ a: 1 }, { a: true }, { a: null }, ['\ud800'], { '\udc00': 'x' }, new Map()]) {
      expect(refusal(() => canonicalJson(bad))).toBe('decode_failure/CANONICAL_JSON_VALUE');
    }
  });
});
