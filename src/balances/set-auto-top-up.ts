// The automatic top-up of a prepaid balance: when the balance falls below `threshold`, the customer's saved
// card is charged `amount` (through the payment gateway and the outbox: once per fall, retried on failure,
// an email to the customer on a decline). The card is a gateway token, never a card number.
import type { Ctx } from '../context.ts';
import { invalid } from '../shared/errors.ts';
import { money } from '../money/money.ts';
import { readBalance, type BalanceState } from './get-balance.ts';
import { insertBalanceRow, updateAutoTopUp } from './repo.ts';
import { prepaidCustomer, topUpAmount } from './top-up.ts';

export interface AutoTopUpInput {
  enabled: boolean;
  threshold?: string | undefined;
  amount?: string | undefined;
  /** A saved card of the gateway ("tok_…"); keeps the one saved when omitted. */
  cardToken?: string | undefined;
}

export async function setAutoTopUp(
  ctx: Ctx,
  accountId: number,
  customerId: number,
  input: AutoTopUpInput,
): Promise<BalanceState> {
  return ctx.db.transaction().execute(async (trx) => {
    const customer = await prepaidCustomer(trx, accountId, customerId);
    const now = ctx.now();
    await insertBalanceRow(trx, accountId, customerId, customer.currency, now);
    const current = await readBalance(trx, accountId, customerId, now);
    let threshold: string | null = current.row?.auto_top_up_threshold ?? null;
    let amount: string | null = current.row?.auto_top_up_amount ?? null;
    if (input.threshold !== undefined) {
      if (!/^\d{1,12}(\.\d{1,6})?$/.test(input.threshold))
        throw invalid('threshold', 'must be an amount of zero or more ("5.00")');
      threshold = money(input.threshold).toFixed();
    }
    if (input.amount !== undefined) amount = topUpAmount(input.amount, customer.currency);
    const cardToken = input.cardToken?.trim();
    if (cardToken !== undefined && !/^[\w.\-:]{6,200}$/.test(cardToken))
      throw invalid('cardToken', 'must be a card token of the payment gateway');
    const hasCard = cardToken !== undefined || (current.row?.auto_top_up_card_token ?? null) !== null;
    if (input.enabled) {
      if (threshold === null) throw invalid('threshold', 'is needed to enable the automatic top-up');
      if (amount === null) throw invalid('amount', 'is needed to enable the automatic top-up');
      if (!hasCard) throw invalid('cardToken', 'a saved card is needed to enable the automatic top-up');
    }
    await updateAutoTopUp(
      trx,
      accountId,
      customerId,
      {
        enabled: input.enabled,
        threshold,
        amount,
        ...(cardToken !== undefined ? { cardToken, cardLast4: lastFourOf(cardToken) } : {}),
      },
      now,
    );
    return readBalance(trx, accountId, customerId, now);
  });
}

/** The test gateway's tokens carry the card; a real gateway's token shows no digits (null). */
function lastFourOf(token: string): string | null {
  if (!token.startsWith('tok_test_')) return null;
  const digits = Buffer.from(token.slice('tok_test_'.length).split('.')[0]!, 'base64url').toString('utf8');
  return /^\d{12,19}$/.test(digits) ? digits.slice(-4) : null;
}
