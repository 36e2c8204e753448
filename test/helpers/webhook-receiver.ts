// A real HTTP webhook receiver on 127.0.0.1 for tests: it keeps every request (headers and the raw body),
// checks each signature with the exported verify function, and answers what it is told to.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../../src/webhooks/signature.ts';

export interface ReceivedWebhook {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  body: any;
  /** The signature checked out against `secrets` at `clock()` (see below). */
  verified: boolean;
}

export interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (a slow receiver). */
  delayMs?: number;
}

export interface TestWebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Secrets a signature may verify with (the subscription's, set after it is made). */
  secrets: string[];
  /** The time signatures are checked at (the test clock). */
  clock: () => Date;
  /** How to answer the n-th request (0-based); default 200 "ok". */
  answer: (n: number, request: ReceivedWebhook) => Answer;
  close(): Promise<void>;
}

export async function startWebhookReceiver(
  options: { clock?: () => Date; answer?: TestWebhookReceiver['answer'] } = {},
): Promise<TestWebhookReceiver> {
  const open = new Set<ServerResponse>();
  const state: TestWebhookReceiver = {
    url: '',
    received: [],
    secrets: [],
    clock: options.clock ?? (() => new Date()),
    answer: options.answer ?? (() => ({ status: 200, body: 'ok' })),
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      let body: unknown;
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        body = undefined;
      }
      const header = req.headers['ringbill-signature'];
      const verified = state.secrets.some((s) =>
        verifyWebhookSignature(rawBody, typeof header === 'string' ? header : undefined, s, {
          now: state.clock(),
        }),
      );
      const request: ReceivedWebhook = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawBody,
        body,
        verified,
      };
      const n = state.received.length;
      state.received.push(request);
      const answer = state.answer(n, request);
      open.add(res);
      res.on('close', () => open.delete(res));
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        res.end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}/hooks/ringbill`;
  state.close = async () => {
    for (const res of open) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}
