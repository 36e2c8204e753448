// Outbox handlers for alerts: the email and the SMS to the customer. Each is built when it is sent.
import type { Ctx } from '../context.ts';
import { isPermanentMailError } from '../email/mailer.ts';
import type { OutboxJob } from '../outbox/repo.ts';
import { PermanentJobError, type JobHandler } from '../outbox/worker.ts';
import { currencyMinorDigits, formatAmountAtLeast, money } from '../money/money.ts';
import { percentForDisplay } from '../money/rounding.ts';
import { parseEmailList } from '../shared/contact.ts';
import { sendSms } from '../sms/send-sms.ts';
import type { AlertJob } from './check-alerts.ts';
import { findAlertEvent, findCustomerContact } from './repo.ts';

async function load(ctx: Ctx, job: OutboxJob) {
  const { eventId } = job.payload as AlertJob;
  const event = await findAlertEvent(ctx.db, job.account_id, eventId);
  if (!event) throw new PermanentJobError(`alert event ${eventId} no longer exists`);
  const contact = await findCustomerContact(ctx.db, job.account_id, event.customer_id);
  if (!contact) throw new PermanentJobError(`customer ${event.customer_id} no longer exists`);
  const m = (v: string) =>
    `${contact.currency} ${formatAmountAtLeast(money(v).toFixed(), currencyMinorDigits(contact.currency))}`;
  let text: string;
  switch (event.kind) {
    case 'low_balance':
      text = `your available balance is ${m(event.value)}, below ${m(event.threshold)}. Top up to keep calling.`;
      break;
    case 'credit_used':
      text = `you have used ${percentForDisplay(money(event.value))}% of your credit limit (alert at ${money(event.threshold).toFixed()}%).`;
      break;
    case 'spend_daily':
      text = `your spend today is ${m(event.value)}, reaching your daily alert of ${m(event.threshold)}.`;
      break;
    case 'spend_monthly':
      text = `your spend this month is ${m(event.value)}, reaching your monthly alert of ${m(event.threshold)}.`;
      break;
  }
  return { event, contact, text };
}

export const sendAlertEmail: JobHandler = async (job, ctx) => {
  const { contact, text } = await load(ctx, job);
  const to = contact.email ? parseEmailList(contact.email, 'email') : [];
  if (to.length === 0) throw new PermanentJobError('the customer has no email address');
  const from = `"${contact.account_name.replace(/"/g, "'")}" <${contact.email_from ?? contact.account_email ?? 'billing@ringbill.invalid'}>`;
  try {
    const sent = await ctx.services.mailer.send({
      from,
      to,
      subject: `${contact.account_name}: balance alert`,
      text: `Hello ${contact.name},\n\n${contact.account_name}: ${text}\n\n${contact.account_name}`,
      attachments: [],
    });
    if (sent.rejected.length > 0)
      throw new PermanentJobError(`the mail server refused ${sent.rejected.join(', ')}`);
  } catch (error) {
    if (error instanceof PermanentJobError) throw error;
    if (isPermanentMailError(error)) throw new PermanentJobError((error as Error).message);
    throw error;
  }
};

export const sendAlertSms: JobHandler = async (job, ctx) => {
  const { contact, text } = await load(ctx, job);
  if (!contact.mobile_number) throw new PermanentJobError('the customer has no mobile number');
  await sendSms(ctx, {
    accountId: job.account_id,
    outboxJobId: job.id,
    requestId: null,
    kind: 'other',
    to: contact.mobile_number,
    body: `${contact.account_name}: ${text}`,
  });
};

export const ALERT_JOB_HANDLERS: Readonly<Record<string, JobHandler>> = {
  'alerts.email': sendAlertEmail,
  'alerts.sms': sendAlertSms,
};
