/**
 * String-keyed maps built from parsed JSON. A map on a plain `{}` drops `__proto__` (the assignment
 * sets the prototype instead) and answers `in` / `[k]` for inherited names such as `constructor`
 * and `toString`; a null-prototype object has only the keys it was given (spec/conventions.md CONV-020).
 */
export function dict<T>(): Record<string, T> {
  // @req CONV-020
  return Object.create(null) as Record<string, T>;
}

/** Whether `o` has `key` as its own property (never an inherited one). */
export function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}
