// Sends one SMS for an outbox job through the configured provider, and records it. A job retried after
// the message was accepted finds its record and does not send again.
import type { Ctx } from '../context.ts';
import { PermanentJobError } from '../outbox/worker.ts';
import { createLocalSmsProvider, PermanentSmsError, type SmsProvider } from './provider.ts';
import { findSmsForJob, insertSms, type SmsMessageRow } from './repo.ts';

const local = createLocalSmsProvider();

/** The provider in use: the one the context was given (the server's, from SMS_URL), else the local one. */
export function smsProvider(ctx: Ctx): SmsProvider {
  return ctx.services.sms ?? local;
}

export interface SmsToSend {
  accountId: number;
  outboxJobId: number;
  requestId: number | null;
  kind: 'payment_request' | 'receipt' | 'instalment' | 'other';
  to: string;
  body: string;
}

/** Longest body sent: ten concatenated parts of 153 characters. */
export const MAX_SMS_LENGTH = 1530;

export async function sendSms(
  ctx: Ctx,
  sms: SmsToSend,
): Promise<{ message: SmsMessageRow; repeated: boolean }> {
  const done = await findSmsForJob(ctx.db, sms.accountId, sms.outboxJobId);
  if (done) return { message: done, repeated: true };
  const provider = smsProvider(ctx);
  let providerMessageId: string | null;
  try {
    ({ providerMessageId } = await provider.send({
      to: sms.to,
      body: sms.body.slice(0, MAX_SMS_LENGTH),
      reference: `sms-${sms.accountId}-${sms.outboxJobId}`,
    }));
  } catch (error) {
    if (error instanceof PermanentSmsError) throw new PermanentJobError(error.message);
    throw error;
  }
  const message = await insertSms(ctx.db, {
    account_id: sms.accountId,
    request_id: sms.requestId,
    kind: sms.kind,
    to_number: sms.to,
    body: sms.body.slice(0, MAX_SMS_LENGTH),
    provider: provider.name,
    status: 'sent',
    provider_message_id: providerMessageId,
    outbox_job_id: sms.outboxJobId,
    created_at: ctx.now(),
  });
  return { message, repeated: false };
}
