// Stores a recording or transcription for a call; it is then served at the call's URL for it, to the
// account's keys only. A recording is part of what the feed shows of a call (its recording column), so an
// uploaded one becomes the call's recording URL and reaches the feed as a correction, like notes or payout.
import type { Ctx } from '../context.ts';
import { publish } from '../shared/events.ts';
import { lockCall, updateCallFeedFields } from './repo.ts';
import { assert, DomainError, invalid } from '../shared/errors.ts';
import { putCallFile, type CallFileKind } from './files-repo.ts';
import { getCall } from './get-call.ts';
import type { CallWithFilesRow } from './repo.ts';

/** Upload size limits, in bytes: audio is large, text is not. */
export const MAX_CALL_FILE_BYTES: Record<CallFileKind, number> = {
  recording: 50 * 1024 * 1024,
  transcription: 5 * 1024 * 1024,
};

const MAX_CONTENT_TYPE_LENGTH = 255;
// type/subtype, then optional parameters (RFC 9110 tokens; parameters without control characters).
const MEDIA_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;[\x20-\x7e]*)?$/;

export interface CallFileUpload {
  kind: CallFileKind;
  contentType: string;
  content: Buffer;
  /** The absolute URL the file is served at (GET /v1/calls/{id}/{kind}), as /v1/calls shows it. */
  servedUrl: string;
}

/** Returns the call as it now is (its URL for this kind of file is the served one). */
export async function uploadCallFile(
  ctx: Ctx,
  accountId: number,
  callId: number,
  upload: CallFileUpload,
): Promise<{ timezone: string; call: CallWithFilesRow }> {
  const contentType = upload.contentType.trim();
  if (contentType.length > MAX_CONTENT_TYPE_LENGTH || !MEDIA_TYPE.test(contentType)) {
    throw invalid('Content-Type', 'must be a media type such as audio/mpeg or text/plain');
  }
  if (upload.content.length === 0) throw invalid('body', `the ${upload.kind} file is empty`);
  if (upload.content.length > MAX_CALL_FILE_BYTES[upload.kind]) {
    throw new DomainError(
      'malformed_request',
      `the ${upload.kind} file is larger than ${MAX_CALL_FILE_BYTES[upload.kind]} bytes`,
    );
  }
  await ctx.db.transaction().execute(async (trx) => {
    // The call's row lock first, as every correction of a call takes it (two never interleave).
    if (!(await lockCall(trx, accountId, callId))) throw new DomainError('not_found', 'Call not found');
    const stored = await putCallFile(trx, accountId, callId, {
      kind: upload.kind,
      contentType,
      content: upload.content,
    });
    assert(stored, `call ${callId} locked in account ${accountId} takes its file`);
    // The feed has no transcription column: only a recording changes what it shows.
    if (upload.kind !== 'recording') return;
    await updateCallFeedFields(trx, accountId, callId, { recordingUrl: upload.servedUrl });
    // Last: it takes the feed lock. A repeated upload leaves the URL as it was, and appends nothing.
    await publish(ctx, { type: 'calls-corrected', db: trx, accountId, callIds: [callId], now: ctx.now() });
  });
  return getCall(ctx, accountId, callId);
}
