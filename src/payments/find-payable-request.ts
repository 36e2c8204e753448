// What the payment page shows for a link: the account's name, the request, its states and what is left to
// pay, and the active instalment plan with its instalments.
import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import type { InvoiceRow } from '../invoices/repo.ts';
import { findInvoice } from '../invoices/repo.ts';
import { findRequestByToken, type RequestFactsRow } from '../collections/repo.ts';
import { requestFacts } from './reports-repo.ts';
import { isPayable, statesOf, type RequestStates } from '../collections/states.ts';
import { activePlan, type PlanWithInstalments } from './repo.ts';

/** Tokens are 43 base64url characters; anything else is not looked up. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface PayableRequest {
  request: RequestFactsRow;
  account: { id: number; name: string; currency: string; timezone: string };
  invoice: InvoiceRow | null;
  states: RequestStates;
  payable: boolean;
  plan: PlanWithInstalments | null;
}

export async function findPayableRequest(ctx: Ctx, token: string): Promise<PayableRequest | undefined> {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  const found = await findRequestByToken(ctx.db, token);
  if (!found) return undefined;
  const accountId = found.account_id;
  const [facts] = await requestFacts(ctx.db, accountId, { ids: [Number(found.id)], limit: 1 });
  const account = (await findAccount(ctx.db, accountId))!;
  const invoice =
    found.invoice_id === null
      ? null
      : ((await findInvoice(ctx.db, accountId, Number(found.invoice_id))) ?? null);
  const states = statesOf(facts!, ctx.now());
  return {
    request: facts!,
    account: { id: account.id, name: account.name, currency: account.currency, timezone: account.timezone },
    invoice,
    states,
    payable: isPayable(states),
    plan: await activePlan(ctx.db, accountId, Number(found.id)),
  };
}
