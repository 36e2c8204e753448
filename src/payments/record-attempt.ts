// One try to pay by card, approved or declined, as the gateway answered it.
import type { Executor } from '../context.ts';
import type { ChargeResult } from './gateway.ts';
import { insertAttempt, type AttemptRow } from './repo.ts';

export interface AttemptInput {
  accountId: number;
  requestId: number | null;
  invoiceId: number | null;
  instalmentPlanId?: number | null | undefined;
  instalmentSeq?: number | null | undefined;
  amount: string;
  currency: string;
  gateway: string;
  result: ChargeResult;
  at: Date;
}

export async function recordAttempt(db: Executor, input: AttemptInput): Promise<AttemptRow> {
  const r = input.result;
  return insertAttempt(db, {
    account_id: input.accountId,
    request_id: input.requestId,
    invoice_id: input.invoiceId,
    instalment_plan_id: input.instalmentPlanId ?? null,
    instalment_seq: input.instalmentSeq ?? null,
    amount: input.amount,
    currency: input.currency,
    outcome: r.outcome,
    decline_reason: r.outcome === 'declined' ? r.reason : null,
    gateway: input.gateway,
    gateway_reference: r.reference,
    card_last4: r.last4,
    card_brand: r.brand,
    created_at: input.at,
  });
}
