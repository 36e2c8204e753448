// TRUST_PROXY: behind a reverse proxy every payer arrives from the proxy's address. With the proxy trusted,
// the payment page's rate limit counts each client by the address X-Forwarded-For gives; without it (the
// default) X-Forwarded-For is not believed, so a client cannot pick its own bucket, and all share one.
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrustProxy } from '../../src/config.ts';
import { buildServer } from '../../src/http/server.ts';
import { useHarness } from '../helpers/harness.ts';

const h = useHarness();
const servers: FastifyInstance[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

/** A server on the harness's database allowing 2 card posts a minute per client, with this TRUST_PROXY. */
async function server(trustProxy: TrustProxy | undefined): Promise<string> {
  const app = await buildServer(h.ctx, {
    payPostsPerMinutePerClient: 2,
    ...(trustProxy === undefined ? {} : { trustProxy }),
  });
  servers.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

/** A card post to a link that does not exist (a 404, counted all the same) from the client `forwardedFor`. */
async function post(base: string, forwardedFor: string): Promise<number> {
  const response = await fetch(`${base}/pay/${'z'.repeat(43)}/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: '{}',
  });
  await response.arrayBuffer();
  return response.status;
}

describe('TRUST_PROXY', () => {
  it.each<[string, TrustProxy]>([
    ['the proxy by address', ['127.0.0.1']],
    ['the proxy by range', ['127.0.0.0/8', '::1']],
    ['one hop', 1],
    ['every hop', true],
  ])('trusting %s: two clients behind it get a bucket each', async (_name, trustProxy) => {
    const base = await server(trustProxy);
    expect([await post(base, '203.0.113.1'), await post(base, '203.0.113.1')]).toStrictEqual([404, 404]);
    expect(await post(base, '203.0.113.1')).toBe(429);
    // Another payer behind the same proxy is not held up by the first.
    expect(await post(base, '203.0.113.2')).toBe(404);
    // Through a second proxy (X-Forwarded-For: client, second proxy): the client is the nearest address not
    // trusted, so the second proxy's own address unless every hop is trusted.
    expect(await post(base, '198.51.100.7, 203.0.113.2')).toBe(404);
    expect(await post(base, '203.0.113.2')).toBe(trustProxy === true ? 404 : 429);
  });

  it('unset: X-Forwarded-For is not believed, and every client behind the proxy shares one bucket', async () => {
    const base = await server(undefined);
    expect([await post(base, '203.0.113.1'), await post(base, '203.0.113.1')]).toStrictEqual([404, 404]);
    expect(await post(base, '203.0.113.2')).toBe(429);
    expect(await post(base, '203.0.113.3')).toBe(429);
  });
});
