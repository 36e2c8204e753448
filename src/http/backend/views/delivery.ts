// Delivery settings: bill styles, message templates, attachments, usage report profiles.
import { z } from 'zod';
import type { BillStyle } from '../../../delivery-settings/bill-styles.ts';
import type {
  AttachmentInfo,
  BillStyleRow,
  MessageTemplateRow,
  UsageReportProfileRow,
} from '../../../delivery-settings/settings-repo.ts';
import type { MessageTemplate } from '../../../delivery-settings/templates.ts';
import type { UsageReportProfile } from '../../../delivery-settings/usage-reports.ts';
import { idString } from '../schemas.ts';

export const billStyleView = z
  .object({
    id: idString.nullable().meta({ description: 'null for a built-in style' }),
    name: z.string(),
    base: z.enum(['full', 'summary']).meta({
      description:
        'full: summary, charges, VAT, call summary and optional itemised calls; summary: totals, VAT and payment details',
    }),
    itemiseCalls: z.boolean().meta({ description: 'List every call (full styles)' }),
    showCallSummary: z.boolean().meta({ description: 'The call summary by destination (full styles)' }),
    builtIn: z.boolean(),
    created: z.string().nullable(),
    updated: z.string().nullable(),
  })
  .meta({ id: 'BillStyle' });

export function toBillStyleView(s: BillStyleRow): z.infer<typeof billStyleView> {
  return {
    id: String(s.id),
    name: s.name,
    base: s.base,
    itemiseCalls: s.itemise_calls,
    showCallSummary: s.show_call_summary,
    builtIn: false,
    created: s.created_at.toISOString(),
    updated: s.updated_at.toISOString(),
  };
}

export function toBuiltInBillStyleView(s: BillStyle): z.infer<typeof billStyleView> {
  return {
    id: null,
    name: s.name,
    base: s.base,
    itemiseCalls: s.itemiseCalls,
    showCallSummary: s.showCallSummary,
    builtIn: true,
    created: null,
    updated: null,
  };
}

export const messageTemplateView = z
  .object({
    id: idString.nullable().meta({ description: 'null for the built-in Standard message' }),
    name: z.string(),
    subject: z.string(),
    body: z.string(),
    builtIn: z.boolean(),
    created: z.string().nullable(),
    updated: z.string().nullable(),
  })
  .meta({ id: 'MessageTemplate' });

export function toMessageTemplateView(t: MessageTemplateRow): z.infer<typeof messageTemplateView> {
  return {
    id: String(t.id),
    name: t.name,
    subject: t.subject,
    body: t.body,
    builtIn: false,
    created: t.created_at.toISOString(),
    updated: t.updated_at.toISOString(),
  };
}

export function toBuiltInTemplateView(t: MessageTemplate): z.infer<typeof messageTemplateView> {
  return {
    id: null,
    name: t.name,
    subject: t.subject,
    body: t.body,
    builtIn: true,
    created: null,
    updated: null,
  };
}

export const attachmentView = z
  .object({
    id: idString,
    name: z.string().meta({ description: "What the email action's `attachments` parameter names" }),
    filename: z.string(),
    contentType: z.string(),
    size: z.number().int().meta({ description: 'Bytes' }),
    created: z.string(),
    updated: z.string(),
  })
  .meta({ id: 'Attachment' });

export function toAttachmentView(a: AttachmentInfo): z.infer<typeof attachmentView> {
  return {
    id: String(a.id),
    name: a.name,
    filename: a.filename,
    contentType: a.content_type,
    size: a.size,
    created: a.created_at.toISOString(),
    updated: a.updated_at.toISOString(),
  };
}

const USAGE_KIND_WIRE = { calls_by_feature: 'callsByFeature', call_detail: 'callDetail' } as const;
export const USAGE_KIND_FROM_WIRE = {
  callsByFeature: 'calls_by_feature',
  callDetail: 'call_detail',
} as const;

export const usageReportProfileView = z
  .object({
    id: idString.nullable().meta({ description: 'null for a built-in profile' }),
    name: z
      .string()
      .meta({ description: "What the email action's `invoiceUsageReportCustomerProfileID` names" }),
    kind: z.enum(['callsByFeature', 'callDetail']).meta({
      description:
        'callsByFeature: a CSV line per feature (calls, billed_minutes, charge); callDetail: a CSV line per call',
    }),
    builtIn: z.boolean(),
    created: z.string().nullable(),
    updated: z.string().nullable(),
  })
  .meta({ id: 'UsageReportProfile' });

export function toUsageReportProfileView(p: UsageReportProfileRow): z.infer<typeof usageReportProfileView> {
  return {
    id: String(p.id),
    name: p.name,
    kind: USAGE_KIND_WIRE[p.kind],
    builtIn: false,
    created: p.created_at.toISOString(),
    updated: p.updated_at.toISOString(),
  };
}

export function toBuiltInUsageReportView(p: UsageReportProfile): z.infer<typeof usageReportProfileView> {
  return {
    id: null,
    name: p.name,
    kind: USAGE_KIND_WIRE[p.kind],
    builtIn: true,
    created: null,
    updated: null,
  };
}
