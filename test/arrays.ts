/** Array comparisons that fail fast with a one-line message (toEqual on 392,000 floats builds a diff for minutes). */
import { expect } from 'vitest';

/** Expects two arrays to hold bit-identical numbers; names the count and the first difference. */
export function expectSameValues(actual: ArrayLike<number>, expected: ArrayLike<number>, what = 'values'): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let differ = 0;
  let first = -1;
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      differ++;
      if (first < 0) first = i;
    }
  }
  const where = first < 0 ? '' : ` (first at ${first}: ${actual[first]} vs ${expected[first]})`;
  expect(`${differ} of ${actual.length} ${what} differ${where}`).toBe(`0 of ${actual.length} ${what} differ`);
}
