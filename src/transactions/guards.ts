import type { Executor } from '../context.ts';
import type { BillingTransactionRow } from '../db/schema.ts';
import { invalid } from '../shared/errors.ts';
import { money } from '../shared/money.ts';
import { findTransaction, refundedSoFar } from './repo.ts';

/**
 * A refund names a positive charge of the same customer, and the refunds of one charge never add up to
 * more than the charge itself.
 */
export async function checkRefund(
  db: Executor,
  accountId: number,
  row: Pick<BillingTransactionRow, 'customer_id' | 'refunded_id' | 'value'> & { id?: number },
): Promise<void> {
  if (row.refunded_id === null) return;
  const refunded = await findTransaction(db, accountId, row.refunded_id);
  if (!refunded || refunded.customer_id !== row.customer_id) {
    throw invalid('transactionRefundedID', `transaction ${row.refunded_id} is not a charge of this customer`);
  }
  if (!money(refunded.value).isPositive()) throw invalid('transactionRefundedID', `transaction ${row.refunded_id} is not a charge that can be refunded`);
  const refundedTotal = money(await refundedSoFar(db, accountId, row.refunded_id, row.id)).plus(row.value);
  if (refundedTotal.negated().greaterThan(refunded.value)) {
    throw invalid(
      'transactionValue',
      `refunds of transaction ${row.refunded_id} would total ${refundedTotal.negated().toFixed()}, more than its value ${refunded.value}`,
    );
  }
}
