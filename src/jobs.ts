// Every kind of outbox job and its handler: the one list the outbox worker delivers from.
import { EMAIL_JOB_HANDLERS } from './delivery/jobs.ts';
import type { JobHandler } from './outbox/worker.ts';

export const JOB_HANDLERS: Readonly<Record<string, JobHandler>> = {
  ...EMAIL_JOB_HANDLERS,
};
