// A recording or transcription uploaded for a call, for the call's own account only.
import type { Ctx } from '../context.ts';
import { DomainError } from '../shared/errors.ts';
import { findCallFile, type CallFile, type CallFileKind } from './files-repo.ts';

export async function getCallFile(
  ctx: Ctx,
  accountId: number,
  callId: number,
  kind: CallFileKind,
): Promise<CallFile> {
  const file = await findCallFile(ctx.db, accountId, callId, kind);
  // No such call in the account and no file uploaded look the same: either way there is nothing to serve.
  if (!file)
    throw new DomainError(
      'not_found',
      kind === 'recording' ? 'Recording not found' : 'Transcription not found',
    );
  return file;
}
