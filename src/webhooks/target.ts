// Where a webhook may point: the URL's host must be an address the operator allows (public internet
// addresses; private networks too with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true). Checked when a subscription is
// made or its URL changed, and again at every delivery (deliver.ts), on the address actually connected to.
import type { Ctx } from '../context.ts';
import { invalid } from '../shared/errors.ts';
import { checkOutboundHost, PUBLIC_ONLY, type OutboundPolicy } from '../shared/outbound-http.ts';

export function outboundPolicyOf(ctx: Ctx): OutboundPolicy {
  return ctx.services.outbound ?? PUBLIC_ONLY;
}

/** Refuses (400, field `url`) a webhook URL whose host is, or resolves to, an address that is not allowed. */
export async function checkWebhookTarget(ctx: Ctx, url: string): Promise<void> {
  const refusal = await checkOutboundHost(new URL(url), outboundPolicyOf(ctx));
  if (refusal) throw invalid('url', refusal.message);
}
