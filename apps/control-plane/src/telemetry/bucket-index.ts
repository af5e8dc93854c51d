/**
 * Every histogram upper bound seen, each with a small index, so summing a query's bucket rates is array
 * arithmetic rather than map lookups (the protocol fixes the bounds; a foreign one just gets the next index).
 */
const indexes = new Map<number, number>();
const upperBounds: number[] = [];

/** The index of a bucket's `le`, or -1 when the label is not a bound (the series is no bucket). */
export function bucketIndex(le: string | undefined): number {
  if (le === undefined) return -1;
  const upperBound = le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le);
  if (Number.isNaN(upperBound)) return -1;
  let index = indexes.get(upperBound);
  if (index === undefined) {
    index = upperBounds.push(upperBound) - 1;
    indexes.set(upperBound, index);
  }
  return index;
}

export function upperBoundOf(index: number): number {
  return upperBounds[index] ?? Number.NaN;
}
