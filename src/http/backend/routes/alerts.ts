// Balance alerts: thresholds per customer (/customers/{id}/balance/alerts) and for the whole account
// (/balanceAlerts), and the alerts that fired.
import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import {
  activeAlerts,
  ALERT_CHANNELS,
  ALERT_KINDS,
  createAlert,
  firedAlerts,
  getAlerts,
  MAX_ACTIVE_ALERTS,
  removeAlert,
} from '../../../alerts/manage-alerts.ts';
import type { Ctx } from '../../../context.ts';
import type { BalanceAlertRow } from '../../../alerts/repo.ts';
import { money } from '../../../money/money.ts';
import { principalOf } from '../../auth.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { pathId } from '../../kit/route-helpers.ts';
import { amountInput, errorBody, idParams } from '../schemas.ts';

const tags = ['Balance alerts'];
const kinds = z.enum(
  ALERT_KINDS as [string, ...string[]] as ['low_balance', 'spend_daily', 'spend_monthly', 'credit_used'],
);

const alertView = z
  .object({
    id: z.string(),
    customerID: z
      .string()
      .nullable()
      .meta({ description: "null: the account's, for every customer with a balance" }),
    type: kinds,
    threshold: z.string(),
    channels: z.array(z.enum(ALERT_CHANNELS)),
    enabled: z.boolean(),
    created: z.string(),
  })
  .meta({ id: 'BalanceAlert' });

const firedView = z
  .object({
    id: z.string(),
    customerID: z.string(),
    alertID: z.string(),
    type: kinds,
    threshold: z.string(),
    value: z.string(),
    created: z.string(),
  })
  .meta({ id: 'FiredAlert' });

const createBody = z
  .object({
    type: kinds.meta({
      description:
        'low_balance: available below the threshold; spend_daily / spend_monthly: spend in the local day / month reaches it; credit_used: credit used reaches this percentage of the limit',
    }),
    threshold: amountInput,
    channels: z
      .array(z.enum(ALERT_CHANNELS))
      .max(2)
      .optional()
      .meta({ description: 'How the customer is told besides the webhook (default email)' }),
  })
  .strict();

function toAlertView(a: BalanceAlertRow): z.infer<typeof alertView> {
  return {
    id: String(a.id),
    customerID: a.customer_id === null ? null : String(a.customer_id),
    type: a.kind,
    threshold: money(a.threshold).toFixed(),
    channels: a.channels as ('email' | 'sms')[],
    enabled: a.enabled,
    created: a.created_at.toISOString(),
  };
}

const DESCRIPTION =
  'Crossing a threshold sends, once per crossing (spend: once per day or month): the webhook event balance.low, spend.threshold or credit.limit, and an email and/or SMS to the customer through the outbox. An alert re-arms when its condition clears.';

const activeView = z
  .object({
    customerID: z.string(),
    customerName: z.string(),
    alertID: z.string(),
    type: kinds,
    threshold: z.string(),
    accountWide: z
      .boolean()
      .meta({ description: "The account's alert (every customer), not the customer's own" }),
    value: z.string().nullable().meta({ description: 'The value that crossed the threshold when it fired' }),
    period: z
      .string()
      .nullable()
      .meta({ description: 'Spend alerts: the local day (YYYY-MM-DD) or month (YYYY-MM) they fired in' }),
    fired: z.string().nullable(),
  })
  .meta({ id: 'ActiveAlert' });

export function alertRoutes(app: ZodApp, ctx: Ctx): void {
  app.get(
    '/balanceAlerts/active',
    {
      schema: {
        tags,
        operationId: 'listActiveBalanceAlerts',
        summary: 'Alerts standing crossed now, across customers (newest first)',
        description:
          'What an overview shows: each customer whose low-balance or credit alert fired and has not re-armed (its condition has not cleared), and each spend alert that fired in the current local day or month.',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(MAX_ACTIVE_ALERTS).optional() }),
        response: { 200: z.array(activeView), 400: errorBody },
      },
    },
    async (request) =>
      (await activeAlerts(ctx, principalOf(request).accountId, request.query.limit ?? 100)).map((a) => ({
        customerID: String(a.customer_id),
        customerName: a.customer_name,
        alertID: String(a.alert_id),
        type: a.kind,
        threshold: money(a.threshold).toFixed(),
        accountWide: a.account_wide,
        value: a.value === null ? null : money(a.value).toFixed(),
        period: a.period,
        fired: a.fired_at ? a.fired_at.toISOString() : null,
      })),
  );
  const threshold = (v: string | number) => (typeof v === 'number' ? String(v) : v.trim());
  for (const scope of ['customer', 'account'] as const) {
    const base = scope === 'customer' ? '/customers/:id/balance/alerts' : '/balanceAlerts';
    const params = scope === 'customer' ? idParams : undefined;
    const customerOf = (p: unknown) =>
      scope === 'customer' ? pathId((p as { id: string }).id, 'Customer') : null;
    app.get(
      base,
      {
        schema: {
          tags,
          operationId: scope === 'customer' ? 'listCustomerBalanceAlerts' : 'listBalanceAlerts',
          summary: scope === 'customer' ? "A customer's alert thresholds" : "The account's alert thresholds",
          ...(params ? { params } : {}),
          response: { 200: z.array(alertView), 404: errorBody },
        },
      },
      async (request) =>
        (await getAlerts(ctx, principalOf(request).accountId, customerOf(request.params))).map(toAlertView),
    );
    app.post(
      base,
      {
        config: { level: KeyLevel.customers },
        schema: {
          tags,
          operationId: scope === 'customer' ? 'createCustomerBalanceAlert' : 'createBalanceAlert',
          summary:
            scope === 'customer'
              ? 'Add an alert threshold for a customer'
              : 'Add an alert threshold for every customer',
          description: DESCRIPTION,
          ...(params ? { params } : {}),
          body: createBody,
          response: { 201: alertView, 400: errorBody, 404: errorBody },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const alert = await createAlert(ctx, principalOf(request).accountId, customerOf(request.params), {
          type: b.type,
          threshold: threshold(b.threshold),
          channels: b.channels,
        });
        return reply.status(201).send(toAlertView(alert));
      },
    );
    app.delete(
      `${base}/:alertId`,
      {
        config: { level: KeyLevel.customers },
        schema: {
          tags,
          operationId: scope === 'customer' ? 'deleteCustomerBalanceAlert' : 'deleteBalanceAlert',
          summary: 'Remove an alert threshold',
          params: z.object({
            ...(scope === 'customer' ? { id: z.string().max(30) } : {}),
            alertId: z.string().max(30),
          }),
          response: { 200: z.object({ success: z.literal(true), message: z.string() }), 404: errorBody },
        },
      },
      async (request) => {
        const id = pathId(request.params.alertId, 'Alert');
        await removeAlert(ctx, principalOf(request).accountId, customerOf(request.params), id);
        return { success: true as const, message: `Alert ${id} removed` };
      },
    );
  }
  app.get(
    '/customers/:id/balance/alerts/fired',
    {
      schema: {
        tags,
        operationId: 'listFiredBalanceAlerts',
        summary: 'Alerts that fired for a customer, newest first (up to 100)',
        params: idParams,
        response: { 200: z.array(firedView), 404: errorBody },
      },
    },
    async (request) =>
      (await firedAlerts(ctx, principalOf(request).accountId, pathId(request.params.id, 'Customer'))).map(
        (e) => ({
          id: String(e.id),
          customerID: String(e.customer_id),
          alertID: String(e.alert_id),
          type: e.kind,
          threshold: money(e.threshold).toFixed(),
          value: money(e.value).toFixed(),
          created: e.created_at.toISOString(),
        }),
      ),
  );
}
