// Outbox handler: asks the payer to pay an instalment on the page (the plan has no saved card, or the saved
// card was declined), by SMS and/or email to the request's contacts. A repeat after a restart does not send
// the SMS twice (sendSms finds the job's message); nothing is sent for an instalment paid meanwhile.
import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { findRequest } from '../collections/repo.ts';
import { isPermanentMailError } from '../email/mailer.ts';
import { PermanentJobError, type JobHandler } from '../outbox/worker.ts';
import { currencyMinorDigits, formatAmount } from '../money/money.ts';
import { sendSms } from '../sms/send-sms.ts';
import { findPlan } from './repo.ts';

export interface InstalmentLinkJob {
  planId: number;
  seq: number;
  reason: 'due' | 'declined';
}

export const sendInstalmentLink: JobHandler = async (job, ctx: Ctx) => {
  const { planId, seq, reason } = job.payload as InstalmentLinkJob;
  const plan = await findPlan(ctx.db, job.account_id, planId);
  const instalment = plan?.instalments.find((i) => i.seq === seq);
  const account = await findAccount(ctx.db, job.account_id);
  const request = plan ? await findRequest(ctx.db, job.account_id, Number(plan.plan.request_id)) : undefined;
  if (!plan || !instalment || !account || !request)
    throw new PermanentJobError(`instalment ${seq} of plan ${planId} no longer exists`);
  if (instalment.status === 'paid' || plan.plan.status !== 'active') return;
  const amount = `${account.currency} ${formatAmount(instalment.amount, currencyMinorDigits(account.currency))}`;
  const what = `instalment ${seq} of ${plan.instalments.length} (${amount}, due ${instalment.due_date})`;
  const why =
    reason === 'declined'
      ? `could not be charged to your saved card (${instalment.last_error ?? 'declined'})`
      : 'is due';
  if (!request.mobile_number && !request.email)
    throw new PermanentJobError(`payment request ${request.id} has no mobile number or email address`);
  if (request.mobile_number) {
    await sendSms(ctx, {
      accountId: account.id,
      outboxJobId: job.id,
      requestId: Number(request.id),
      kind: 'instalment',
      to: request.mobile_number,
      body: `${account.name}: ${what} ${why}. Pay here: ${request.url}`,
    });
  }
  if (request.email) {
    const address = account.email_from ?? account.email ?? 'billing@ringbill.invalid';
    try {
      const sent = await ctx.services.mailer.send({
        from: `"${account.name.replace(/"/g, "'")}" <${address}>`,
        to: [request.email],
        subject: `${account.name}: ${what} ${why}`,
        text: [
          `Hello,`,
          ``,
          `Your ${what} ${why}.`,
          ``,
          `Pay it securely online: ${request.url}`,
          ``,
          account.name,
        ].join('\n'),
        attachments: [],
      });
      if (sent.rejected.length > 0)
        throw new PermanentJobError(`the mail server refused ${sent.rejected.join(', ')}`);
    } catch (error) {
      if (error instanceof PermanentJobError) throw error;
      if (isPermanentMailError(error)) throw new PermanentJobError((error as Error).message);
      throw error;
    }
  }
};

export const PLAN_JOB_HANDLERS: Readonly<Record<string, JobHandler>> = {
  'collect.instalment_link': sendInstalmentLink,
};
