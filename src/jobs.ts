// Every kind of outbox job and its handler: the one list the outbox worker delivers from.
import { COLLECT_JOB_HANDLERS } from './collections/jobs.ts';
import { EMAIL_JOB_HANDLERS } from './delivery/jobs.ts';
import type { JobHandler } from './outbox/worker.ts';
import { WEBHOOK_JOB_HANDLERS } from './webhooks/deliver.ts';
import { PLAN_JOB_HANDLERS } from './payments/plan-jobs.ts';
import { ALERT_JOB_HANDLERS } from './alerts/jobs.ts';
import { TOP_UP_JOB_HANDLERS } from './top-ups/auto-top-up.ts';
import { PORTAL_JOB_HANDLERS } from './portal/jobs.ts';
import { PAYMENT_JOB_HANDLERS } from './payments/refund-jobs.ts';
import { RECEIPT_JOB_HANDLERS } from './payments/receipt-jobs.ts';
import { CONSOLE_JOB_HANDLERS } from './console-users/jobs.ts';

export const JOB_HANDLERS: Readonly<Record<string, JobHandler>> = {
  ...EMAIL_JOB_HANDLERS,
  ...COLLECT_JOB_HANDLERS,
  ...RECEIPT_JOB_HANDLERS,
  ...WEBHOOK_JOB_HANDLERS,
  ...PLAN_JOB_HANDLERS,
  ...ALERT_JOB_HANDLERS,
  ...TOP_UP_JOB_HANDLERS,
  ...PORTAL_JOB_HANDLERS,
  ...PAYMENT_JOB_HANDLERS,
  ...CONSOLE_JOB_HANDLERS,
};
