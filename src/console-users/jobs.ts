// The console's outbox handler: the set-up (invitation) and password reset links by email.
import { isPermanentMailError } from '../email/mailer.ts';
import { PermanentJobError, type JobHandler } from '../outbox/worker.ts';
import { RESET_LINK_MINUTES, SET_UP_LINK_HOURS, type InviteJob } from './manage-users.ts';

export const sendUserLink: JobHandler = async (job, ctx) => {
  const p = job.payload as InviteJob;
  const text =
    p.kind === 'set_up'
      ? `Hello ${p.name},\n\nYou have been invited to ${p.accountName}'s billing console. Choose your password here:\n\n${p.url}\n\nThe link works once, for ${SET_UP_LINK_HOURS} hours.\n\n${p.accountName}`
      : `Hello ${p.name},\n\nSomeone (we hope you) asked to reset your password for ${p.accountName}'s billing console. Choose a new one here:\n\n${p.url}\n\nThe link works once, for ${RESET_LINK_MINUTES} minutes. If you did not ask for it, ignore this email: your password stays as it is.\n\n${p.accountName}`;
  try {
    await ctx.services.mailer.send({
      from: p.from,
      to: [p.email],
      subject:
        p.kind === 'set_up'
          ? `${p.accountName}: your console invitation`
          : `${p.accountName}: reset your console password`,
      text,
      attachments: [],
    });
  } catch (error) {
    if (isPermanentMailError(error)) throw new PermanentJobError((error as Error).message);
    throw error;
  }
};

export const CONSOLE_JOB_HANDLERS: Readonly<Record<string, JobHandler>> = {
  'console.user_link': sendUserLink,
};
