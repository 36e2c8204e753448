// A customer comes under credit control when it is made prepaid or given a credit limit: its balance row is
// made, once. A prepaid ledger starts at zero (top it up); a postpaid one starts from what the customer owes
// now (unpaid invoices and unbilled calls, with their VAT), as one opening entry, so the credit limit
// counts everything from the first day. The ledger then carries on whatever the customer's mode becomes.
import type { Ctx, Executor } from '../context.ts';
import { publish } from '../shared/events.ts';
import { money } from '../money/money.ts';
import { underCreditControl } from './ledger.ts';
import { postToOne } from './post.ts';
import { findAccountCurrency } from '../accounts/repo.ts';
import { insertBalanceRow, lockBalances, owedNow } from './repo.ts';

export interface ControlledCustomer {
  id: number;
  billing_mode: 'postpaid' | 'prepaid';
  credit_limit: string | null;
  overdraft: string;
}

export async function openLedgerIfControlled(
  ctx: Ctx,
  trx: Executor,
  accountId: number,
  customer: ControlledCustomer,
  now: Date,
): Promise<boolean> {
  if (
    !underCreditControl({
      mode: customer.billing_mode,
      creditLimit: customer.credit_limit,
      overdraft: customer.overdraft,
    })
  )
    return false;
  const currency = await findAccountCurrency(trx, accountId);
  const made = await insertBalanceRow(trx, accountId, customer.id, currency, now);
  if (!made) return false;
  if (customer.billing_mode === 'postpaid') {
    const onInvoices = await publish(ctx, {
      type: 'ledger-opening',
      db: trx,
      accountId,
      customerId: customer.id,
    });
    const owed = money(await owedNow(trx, accountId, customer.id, onInvoices));
    if (!owed.isZero()) {
      const [locked] = await lockBalances(trx, accountId, [customer.id]);
      await postToOne(
        trx,
        accountId,
        locked!,
        [
          {
            kind: 'opening',
            amount: owed.negated(),
            description: 'Owed when the credit limit was set: unpaid invoices and unbilled calls',
          },
        ],
        now,
      );
    }
  }
  return true;
}
