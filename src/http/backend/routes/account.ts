import { z } from 'zod';
import { updateAccount } from '../../../accounts/update-account.ts';
import { createApiKey } from '../../../api-keys/create-key.ts';
import { KeyLevel } from '../../../api-keys/levels.ts';
import { listApiKeys } from '../../../api-keys/repo.ts';
import { revokeApiKey } from '../../../api-keys/revoke-key.ts';
import type { Ctx } from '../../../context.ts';
import { principalOf } from '../../auth.ts';
import { loadAccount, type ZodApp } from '../../kit/app-type.ts';
import { pathId } from '../../kit/route-helpers.ts';
import {
  amountInput,
  amountInputOrNumber,
  errorBody,
  idParams,
  postalAddress,
  shortText,
} from '../schemas.ts';
import { accountView, apiKeyView, toAccountView, toApiKeyView } from '../../kit/views/accounts.ts';

const updateBody = z
  .object({
    name: shortText.optional(),
    timezone: z
      .string()
      .max(64)
      .optional()
      .meta({ description: 'IANA timezone; existing API keys keep the one they were made with' }),
    currency: z
      .string()
      .length(3)
      .optional()
      .meta({ description: 'ISO 4217; fixed once the account has invoices, charges or recurring charges' }),
    defaultVatRate: amountInput.optional(),
    paymentTermsDays: z.number().int().min(0).max(365).optional(),
    invoicePrefix: z.string().max(20).optional(),
    invoiceNextNumber: z.number().int().min(1).optional().meta({ description: 'Can only move forward' }),
    modules: z.array(z.string().max(40)).max(20).optional(),
    email: z.string().max(254).nullish(),
    phone: z.string().max(30).nullish(),
    vatNumber: z.string().max(50).nullish(),
    companyNumber: z.string().max(50).nullish(),
    address: postalAddress.nullish(),
    peakStart: z
      .string()
      .max(5)
      .optional()
      .meta({ description: 'Peak band start, local "HH:MM" (default 08:00)' }),
    peakEnd: z
      .string()
      .max(5)
      .optional()
      .meta({ description: 'Peak band end, local "HH:MM" (default 18:00)' }),
    paymentDetails: z
      .string()
      .max(2000)
      .nullish()
      .meta({ description: 'Bank or payment details printed on every bill; null clears' }),
    emailFrom: z
      .string()
      .max(254)
      .nullish()
      .meta({ description: "From address of invoice emails; null: the account's email" }),
    defaultBillStyle: z
      .string()
      .max(100)
      .optional()
      .meta({ description: 'A bill style name (Full, Itemised, Summary or your own); 400703 if unknown' }),
    lateFee: amountInput
      .nullish()
      .meta({ description: 'Fixed fee once per overdue invoice; null or 0: none' }),
    interestRate: amountInputOrNumber
      .nullish()
      .meta({ description: 'Interest on overdue balances, percent a year (0 to 100); null or 0: none' }),
    lowUsageMinimum: amountInput
      .nullish()
      .meta({ description: 'Minimum spend (net) per invoice; null or 0: none' }),
    manualBillingFee: amountInput
      .nullish()
      .meta({ description: 'Fee per invoice for customers with billDelivery post; null or 0: none' }),
    cdrTimezone: z.string().max(64).nullish().meta({
      description:
        "The switch's IANA time zone, for local times in its records (Asterisk's Master.csv, FreeSWITCH's *_stamp); null: the account's timezone",
    }),
    cdrCountry: z.string().max(2).nullish().meta({
      description:
        'ISO 3166 country whose national numbers the switch writes (GB: 01134960000 is +441134960000); null: numbers are taken as written',
    }),
    cdrInternationalPrefixes: z.array(z.string().max(10)).max(20).nullish().meta({
      description:
        'Prefixes meaning "an international number follows", replaced by + (default ["00"]; the country\'s own, such as 011 for US, is known when cdrCountry is set)',
    }),
    cdrTechPrefixes: z
      .array(z.string().max(10))
      .max(20)
      .nullish()
      .meta({ description: 'Routing prefixes the switch puts before numbers, stripped (digits, * and #)' }),
    cdrExtensionMaxDigits: z.number().int().min(0).max(8).nullish().meta({
      description: 'A digits-only number this short is an internal extension, not a phone number (default 4)',
    }),
    cdrInternalCalls: z.enum(['refuse', 'store']).nullish().meta({
      description:
        'Records that are not calls to bill (extensions, s/t destinations, SIP user names): refuse (default: kept at GET /calls/rejected with the reason) or store (as calls with ratingStatus internal, never rated)',
    }),
  })
  .strict();

const createdKeyView = apiKeyView.extend({
  key: z.string().meta({ description: 'The key itself. Shown once; only its hash is stored.' }),
});

export function accountRoutes(app: ZodApp, ctx: Ctx): void {
  app.get(
    '/account',
    {
      schema: {
        tags: ['Account'],
        operationId: 'getAccount',
        summary: "The API key's account",
        response: { 200: accountView },
      },
    },
    async (request) => toAccountView(await loadAccount(ctx, principalOf(request).accountId)),
  );

  app.patch(
    '/account',
    {
      config: { level: KeyLevel.expert },
      schema: {
        tags: ['Account'],
        operationId: 'updateAccount',
        summary: 'Change account settings',
        body: updateBody,
        response: { 200: accountView, 400: errorBody, 409: errorBody },
      },
    },
    async (request) => toAccountView(await updateAccount(ctx, principalOf(request).accountId, request.body)),
  );

  app.get(
    '/apiKeys',
    {
      config: { level: KeyLevel.expert },
      schema: {
        tags: ['Account'],
        operationId: 'listApiKeys',
        summary: 'List API keys',
        response: { 200: z.array(apiKeyView) },
      },
    },
    async (request) => (await listApiKeys(ctx.db, principalOf(request).accountId)).map(toApiKeyView),
  );

  app.post(
    '/apiKeys',
    {
      // The response holds the new key, which is never stored, so it cannot be replayed.
      config: { level: KeyLevel.expert, idempotent: false },
      schema: {
        tags: ['Account'],
        operationId: 'createApiKey',
        summary: 'Create an API key',
        description:
          'Levels 1 (read) to 5 (expert). The key records the account timezone as it is now. The key is in this response only (only its hash is stored), so this POST does not accept an Idempotency-Key (400).',
        body: z.object({ level: z.number().int().min(1).max(5), name: shortText.nullish() }).strict(),
        response: { 201: createdKeyView, 400: errorBody },
      },
    },
    async (request, reply) => {
      const created = await createApiKey(ctx, principalOf(request).accountId, request.body);
      return reply.status(201).send({ ...toApiKeyView(created.row), key: created.key });
    },
  );

  app.delete(
    '/apiKeys/:id',
    {
      config: { level: KeyLevel.expert },
      schema: {
        tags: ['Account'],
        operationId: 'revokeApiKey',
        summary: 'Revoke an API key',
        params: idParams,
        response: { 200: apiKeyView, 404: errorBody },
      },
    },
    async (request) =>
      toApiKeyView(
        await revokeApiKey(ctx, principalOf(request).accountId, pathId(request.params.id, 'API key')),
      ),
  );
}
