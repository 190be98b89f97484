/**
 * Test-id patterns for `--only` and expectation files: an exact id, or a glob where `*` matches
 * any run of characters (including `/`) and `?` one character. An exact id always matches itself,
 * even when it contains glob characters.
 */
export function compilePattern(pattern: string): (id: string) => boolean {
  if (!/[*?]/.test(pattern)) return (id) => id === pattern;
  const re = new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`, 's');
  return (id) => id === pattern || re.test(id);
}

export function matchesAny(patterns: readonly string[], id: string): boolean {
  return patterns.some((p) => compilePattern(p)(id));
}
