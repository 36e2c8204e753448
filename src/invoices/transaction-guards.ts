import type { Executor } from '../context.ts';
import type { BillingTransactionRow } from './transactions-repo.ts';
import { DomainError, invalid } from '../shared/errors.ts';
import { money } from '../money/money.ts';
import { findTransaction, refundedSoFar } from './transactions-repo.ts';

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
    throw invalid('refundedId', `transaction ${row.refunded_id} is not a charge of this customer`);
  }
  if (!money(refunded.value).isPositive())
    throw invalid('refundedId', `transaction ${row.refunded_id} is not a charge that can be refunded`);
  const refundedTotal = money(await refundedSoFar(db, accountId, row.refunded_id, row.id)).plus(row.value);
  if (refundedTotal.negated().greaterThan(refunded.value)) {
    throw invalid(
      'value',
      `refunds of transaction ${row.refunded_id} would total ${refundedTotal.negated().toFixed()}, more than its value ${refunded.value}`,
    );
  }
}

/**
 * The other side of the refund rule: a charge that has been refunded never becomes smaller than its refunds
 * (a PATCH that lowers it, or turns it into a credit, would refund more than the charge).
 */
export async function checkRefundsCovered(
  db: Executor,
  accountId: number,
  row: Pick<BillingTransactionRow, 'id' | 'value'>,
): Promise<void> {
  const refunded = money(await refundedSoFar(db, accountId, row.id)).negated();
  if (refunded.isZero()) return;
  if (refunded.greaterThan(row.value)) {
    throw invalid(
      'value',
      `transaction ${row.id} has been refunded ${refunded.toFixed()}; its value cannot be less than that`,
    );
  }
}

/** A charge with refunds against it cannot be deleted: the refunds would refund nothing. */
export async function checkNotRefunded(db: Executor, accountId: number, id: number): Promise<void> {
  const refunded = money(await refundedSoFar(db, accountId, id));
  if (!refunded.isZero()) {
    throw new DomainError(
      'conflict',
      `transaction ${id} has refunds against it (${refunded.negated().toFixed()}); delete the refunds first`,
    );
  }
}
