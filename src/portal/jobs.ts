// The portal's outbox handler: the sign-in link by email.
import { isPermanentMailError } from '../email/mailer.ts';
import { PermanentJobError, type JobHandler } from '../outbox/worker.ts';
import { LINK_MINUTES, type SignInLinkJob } from './sign-in.ts';

export const sendSignInLink: JobHandler = async (job, ctx) => {
  const p = job.payload as SignInLinkJob;
  try {
    await ctx.services.mailer.send({
      from: p.from,
      to: [p.email],
      subject: `${p.accountName}: your sign-in link`,
      text: `Hello,\n\nSign in to ${p.accountName}'s customer portal for ${p.customerName}:\n\n${p.url}\n\nThe link works once, for ${LINK_MINUTES} minutes. If you did not ask for it, ignore this email.\n\n${p.accountName}`,
      attachments: [],
    });
  } catch (error) {
    if (isPermanentMailError(error)) throw new PermanentJobError((error as Error).message);
    throw error;
  }
};

export const PORTAL_JOB_HANDLERS: Readonly<Record<string, JobHandler>> = {
  'portal.sign_in_link': sendSignInLink,
};
