// Public download links: GET /download/invoice/TOKEN serves the bill with no API key while the link is
// good; an expired or used-up link gets a plain page saying so (410), an unknown one 404.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../context.ts';
import { downloadWithLink, peekDownloadLink } from '../delivery/download-links.ts';
import { classifyError, httpStatusOf } from './errors.ts';

export const DOWNLOAD_PREFIX = '/download';

const PAGES = {
  expired: {
    status: 410,
    title: 'This link has expired',
    text: 'Ask the sender for a new link to your invoice.',
  },
  used: {
    status: 410,
    title: 'This link has been used',
    text: 'It allowed a set number of downloads, all used. Ask the sender for a new link.',
  },
  unknown: {
    status: 404,
    title: 'Link not found',
    text: 'Check the address, or ask the sender for a new link.',
  },
} as const;

function page(title: string, text: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}</style></head><body><h1>${title}</h1><p>${text}</p></body></html>`;
}

/** Any error on a download link, a malformed URL included, is a page: people open these links. */
export function downloadErrorHandler(
  err: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const classified = classifyError(err, request);
  if (!classified) request.log.error({ err }, 'unexpected error on a download link');
  const status = classified ? (classified.status ?? httpStatusOf(classified.error.code)) : 500;
  const p =
    status === 404
      ? PAGES.unknown
      : status >= 500
        ? { title: 'Something went wrong', text: 'Please try again in a moment.' }
        : { title: 'This link cannot be read', text: 'Check the address, or ask the sender for a new link.' };
  return reply
    .status(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(page(p.title, p.text));
}

export function downloadRoutes(ctx: Ctx) {
  return async function downloads(app: FastifyInstance): Promise<void> {
    app.setErrorHandler(downloadErrorHandler);
    // HEAD answers what a GET would, with no body, and does not use the link up.
    app.head<{ Params: { token: string } }>(
      '/download/invoice/:token',
      { schema: { hide: true } },
      async (request, reply) => {
        const state = await peekDownloadLink(ctx, request.params.token);
        if (state === 'good') return reply.type('application/pdf').header('cache-control', 'no-store').send();
        return reply
          .status(PAGES[state].status)
          .type('text/html; charset=utf-8')
          .header('cache-control', 'no-store')
          .send();
      },
    );
    app.get<{ Params: { token: string } }>(
      '/download/invoice/:token',
      { schema: { hide: true }, exposeHeadRoute: false },
      async (request, reply) => {
        const result = await downloadWithLink(ctx, request.params.token);
        if (result.kind === 'bill') {
          return reply
            .type('application/pdf')
            .header('cache-control', 'no-store')
            .header('content-disposition', `attachment; filename="${result.bill.filename}"`)
            .send(result.bill.pdf);
        }
        const p = PAGES[result.kind];
        return reply
          .status(p.status)
          .type('text/html; charset=utf-8')
          .header('cache-control', 'no-store')
          .send(page(p.title, p.text));
      },
    );
  };
}
