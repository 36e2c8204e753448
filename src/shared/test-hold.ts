// Test hooks for crash tests: a process started with RINGBILL_TEST_HOLD=point:ms pauses that long each time
// it reaches the named point, after saying so on stderr, so that a test can kill it exactly there (kill -9
// between an Idempotency-Key's claim and the answer, or between two batches of a billing run). Unset, as in
// every real deployment, a hold costs one map lookup.

/** The points a process can be held at. */
export type HoldPoint =
  | 'idempotency-claimed' // an Idempotency-Key was claimed, the request's work has not started
  | 'billing-batch-committed' // a billing run committed a batch and has not started the next
  | 'card-charged'; // the gateway charged a card, the payment has not been applied

let holds: Readonly<Record<string, number>> = {};

/** Set once at start from the configuration (RINGBILL_TEST_HOLD). */
export function setTestHolds(config: Readonly<Record<string, number>>): void {
  holds = config;
}

export async function testHold(point: HoldPoint): Promise<void> {
  const ms = holds[point];
  if (ms === undefined) return;
  process.stderr.write(`ringbill test hold: ${point} (pid ${process.pid}) for ${ms} ms\n`);
  await new Promise((resolve) => setTimeout(resolve, ms));
}
