// Invariants of the money module. Its own (the module imports nothing outside src/money/): a broken
// invariant is a programmer error, thrown as a plain Error that the surfaces report as a 500.
export function assertMoney(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}
