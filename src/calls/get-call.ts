// One call, as document 002 shows calls (GET /v1/calls/{id}).
import { findAccount } from '../accounts/repo.ts';
import type { Ctx } from '../context.ts';
import { assert, DomainError } from '../shared/errors.ts';
import { findCallWithFiles, type CallWithFilesRow } from './repo.ts';

export async function getCall(
  ctx: Ctx,
  accountId: number,
  callId: number,
): Promise<{ timezone: string; call: CallWithFilesRow }> {
  const call = await findCallWithFiles(ctx.db, accountId, callId);
  if (!call) throw new DomainError('not_found', 'Call not found');
  const account = await findAccount(ctx.db, accountId);
  assert(account, `account ${accountId} of an authenticated key exists`);
  return { timezone: account.timezone, call };
}
