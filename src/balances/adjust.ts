// An adjustment: a correction of the balance by a person (a goodwill credit, a charge made elsewhere),
// positive or negative, always with a reason. Never an edit of an earlier entry.
import type { Ctx } from '../context.ts';
import type { BalanceEntryRow } from './repo.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { currencyMinorDigits, isDecimalString, money } from '../money/money.ts';
import { postToOne } from './post.ts';
import { findCustomerTerms, lockBalances } from './repo.ts';

export async function adjustBalance(
  ctx: Ctx,
  accountId: number,
  customerId: number,
  input: { amount: string; description: string },
): Promise<BalanceEntryRow> {
  const description = input.description.trim();
  if (description === '') throw invalid('description', 'say why the balance is adjusted');
  return ctx.db.transaction().execute(async (trx) => {
    const customer = await findCustomerTerms(trx, accountId, customerId);
    if (!customer) throw notFound('Customer', customerId);
    const digits = currencyMinorDigits(customer.currency);
    if (!isDecimalString(input.amount, digits) || money(input.amount).isZero()) {
      throw invalid(
        'amount',
        `must be a non-zero amount with at most ${digits} decimal places, as a string ("-5.00" debits, "5.00" credits)`,
      );
    }
    const [locked] = await lockBalances(trx, accountId, [customerId]);
    if (!locked)
      throw new DomainError(
        'conflict',
        `customer ${customerId} has no balance: make it prepaid or give it a credit limit first`,
      );
    const posted = await postToOne(
      trx,
      accountId,
      locked,
      [{ kind: 'adjustment', amount: money(input.amount), description }],
      ctx.now(),
    );
    return posted.entries[0]!;
  });
}
