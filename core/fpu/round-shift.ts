// Nearest-even rounding of a scaled integer, the step every host model of the transcendentals
// repeats: the host's microcode rounds each intermediate to nearest-even at 68 bits
// (tests/harness-x87/README.md "The transcendentals").

/** Nearest-even rounding of v × 2^-shift to an integer (a shift <= 0 is exact). */
export function roundShift(v: bigint, shift: bigint): bigint {
  if (shift <= 0n) return v << -shift;
  const q = v >> shift;
  const rem = v & ((1n << shift) - 1n);
  const half = 1n << (shift - 1n);
  return rem > half || (rem === half && (q & 1n) === 1n) ? q + 1n : q;
}
