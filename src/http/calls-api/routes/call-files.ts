// Recordings and transcriptions uploaded to Ringbill: PUT stores the raw body with its Content-Type, GET
// serves it back, to keys of the call's own account only.
import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import type { CallFileKind } from '../../../calls/files-repo.ts';
import { getCallFile } from '../../../calls/get-call-file.ts';
import { MAX_CALL_FILE_BYTES, uploadCallFile } from '../../../calls/upload-call-file.ts';
import type { Ctx } from '../../../context.ts';
import { DomainError } from '../../../shared/errors.ts';
import { principalOf } from '../../auth.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import type { CallsApiOptions } from '../index.ts';
import { callIdFromPath, envelopeMeta } from '../route-helpers.ts';
import { callParams, callResponse, errorResponse, errorResponses } from '../schemas.ts';
import { callFilePath, publicBaseUrl, toApiCall } from '../views.ts';

const tags = ['Calls of an invoice (document 002)'];
const KINDS: CallFileKind[] = ['recording', 'transcription'];
const MIB = 1024 * 1024;
const fieldName: Record<CallFileKind, string> = {
  recording: 'call_recording_url',
  transcription: 'transcription_url',
};

/** The body of an upload: any bytes, documented as binary. */
const fileBody = z.any().meta({ type: 'string', format: 'binary' });

export function callFileRoutes(app: ZodApp, ctx: Ctx, options: CallsApiOptions): void {
  for (const kind of KINDS) {
    const limitBytes = MAX_CALL_FILE_BYTES[kind];
    app.put(
      `/calls/:id/${kind}`,
      {
        bodyLimit: limitBytes,
        config: { level: KeyLevel.charges },
        schema: {
          tags,
          operationId: kind === 'recording' ? 'uploadCallRecording' : 'uploadCallTranscription',
          summary: `Upload a call's ${kind}`,
          description: `The request body is the file itself (at most ${limitBytes / MIB} MB), with its Content-Type (audio/mpeg, text/plain, application/json…), which is kept and served back. A new upload replaces the old one. From then on the call's ${fieldName[kind]} is the URL that serves it, GET /v1/calls/{id}/${kind} (absolute: PUBLIC_URL when set, else this request's protocol and host).${kind === 'recording' ? ' The call transactions feed gains a correction of the call whose recording is that URL.' : ''} Needs an API key of level ${KeyLevel.charges} or more. Answers with the call.`,
          consumes: ['*/*'],
          params: callParams,
          body: fileBody,
          response: {
            200: callResponse,
            ...errorResponses,
            403: {
              description: "FORBIDDEN: the key's level is below 2",
              content: { 'application/json': { schema: errorResponse } },
            },
            413: {
              description: 'INVALID_REQUEST: the file is too large',
              content: { 'application/json': { schema: errorResponse } },
            },
            415: {
              description: 'INVALID_REQUEST: the Content-Type is not a media type',
              content: { 'application/json': { schema: errorResponse } },
            },
          },
        },
      },
      async (request) => {
        const { accountId } = principalOf(request);
        const callId = callIdFromPath(request.params.id);
        const content: unknown = request.body;
        if (content !== undefined && !Buffer.isBuffer(content))
          throw new DomainError('malformed_request', 'The body must be the file itself');
        const baseUrl = publicBaseUrl(request, options.publicUrl);
        const { timezone, call } = await uploadCallFile(ctx, accountId, callId, {
          kind,
          contentType: request.headers['content-type'] ?? 'application/octet-stream',
          content: content ?? Buffer.alloc(0),
          servedUrl: `${baseUrl}${callFilePath(callId, kind)}`,
        });
        return {
          success: true as const,
          data: toApiCall(call, { timezone, baseUrl }),
          meta: envelopeMeta(ctx, request),
        };
      },
    );

    app.get(
      `/calls/:id/${kind}`,
      {
        schema: {
          tags,
          operationId: kind === 'recording' ? 'getCallRecording' : 'getCallTranscription',
          summary: `Download a call's ${kind}`,
          description: `The ${kind} uploaded for the call, with the Content-Type it was uploaded with. Only keys of the call's account see it; for any other, and for a call without an uploaded ${kind}, NOT_FOUND. A ${kind} URL given when the call was sent in is not served here: it is returned as it was given.`,
          params: callParams,
          response: {
            200: {
              description: `The ${kind}`,
              content: { '*/*': { schema: z.string().meta({ format: 'binary' }) } },
            },
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const { accountId } = principalOf(request);
        const file = await getCallFile(ctx, accountId, callIdFromPath(request.params.id), kind);
        return (
          reply
            .type(file.contentType)
            .header('Content-Length', String(file.content.length))
            .header('Last-Modified', file.uploadedAt.toUTCString())
            .header('Cache-Control', 'private, no-cache')
            // Stored bytes are whatever was uploaded: never let a browser run them as a page of this origin.
            .header('X-Content-Type-Options', 'nosniff')
            .header('Content-Security-Policy', "sandbox; default-src 'none'")
            // Bytes go out as they are (Fastify does not serialize a Buffer); the schema types only JSON bodies.
            .send(file.content as unknown as string)
        );
      },
    );
  }
}
