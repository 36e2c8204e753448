// Customers and their features as the backend API shows them (camelCase, amounts as decimal strings, ids as strings).
import { z } from 'zod';
import { addressFromColumns } from '../../../accounts/settings.ts';
import type { AccountRow } from '../../../accounts/repo.ts';
import type { CustomerRow } from '../../../customers/repo.ts';
import type { FeatureRow } from '../../../features/repo.ts';
import { currencyMinorDigits, formatAmount, formatAmountAtLeast } from '../../../money/money.ts';
import { decimalOrNull, idOrNull } from '../../kit/views/format.ts';
import { amount, idString, postalAddressOut } from '../schemas.ts';

export const customerView = z
  .object({
    id: idString,
    name: z.string(),
    accountNumber: z.string().nullable(),
    email: z.string().nullable(),
    mobileNumber: z.string().nullable(),
    reverseCharge: z.boolean(),
    vatNumber: z.string().nullable(),
    paymentTermsDays: z.number().int().nullable(),
    paymentMethod: z.string().nullable(),
    billingAddress: postalAddressOut.nullable(),
    rateCardID: idString
      .nullable()
      .meta({ description: "Rate card for this customer's calls; null: the account default" }),
    billDelivery: z.enum(['email', 'post']),
    discountPlanID: idString.nullable(),
    customerReference: z.string().nullable(),
    purchaseOrderNumber: z.string().nullable(),
    billingMode: z.enum(['postpaid', 'prepaid']),
    creditLimit: amount.nullable().meta({ description: 'Postpaid credit limit; null: none' }),
    overdraft: amount.meta({ description: 'Prepaid overdraft allowance' }),
    created: z.string(),
    updated: z.string(),
  })
  .meta({ id: 'Customer' });

export function toCustomerView(c: CustomerRow): z.infer<typeof customerView> {
  return {
    id: String(c.id),
    name: c.name,
    accountNumber: c.account_number,
    email: c.email,
    mobileNumber: c.mobile_number,
    reverseCharge: c.reverse_charge,
    vatNumber: c.vat_number,
    paymentTermsDays: c.payment_terms_days,
    paymentMethod: c.payment_method,
    billingAddress: addressFromColumns(c),
    rateCardID: idOrNull(c.rate_card_id),
    billDelivery: c.bill_delivery,
    discountPlanID: idOrNull(c.discount_plan_id),
    customerReference: c.customer_reference,
    purchaseOrderNumber: c.purchase_order_number,
    billingMode: c.billing_mode,
    creditLimit: c.credit_limit === null ? null : formatAmountAtLeast(c.credit_limit, 2),
    overdraft: formatAmountAtLeast(c.overdraft, 2),
    created: c.created_at.toISOString(),
    updated: c.updated_at.toISOString(),
  };
}

export const featureView = z
  .object({
    id: idString,
    customerID: idString,
    name: z.string(),
    phoneNumber: z.string().nullable(),
    recurringValue: amount.nullable(),
    recurringFrequency: z.enum(['monthly', 'quarterly', 'annually']).nullable(),
    billing: z.enum(['advance', 'arrears']),
    startDate: z.string().nullable(),
    endDate: z.string().nullable(),
    vatRate: z.string().nullable(),
    billedUntil: z
      .string()
      .nullable()
      .meta({ description: 'Recurring charges are billed up to this date (exclusive)' }),
    rateCardID: idString
      .nullable()
      .meta({ description: "Rate card for this feature's calls, over the customer's" }),
    created: z.string(),
    updated: z.string(),
  })
  .meta({ id: 'Feature' });

export function toFeatureView(
  f: FeatureRow,
  account: Pick<AccountRow, 'currency'>,
): z.infer<typeof featureView> {
  return {
    id: String(f.id),
    customerID: String(f.customer_id),
    name: f.name,
    phoneNumber: f.phone_number,
    recurringValue:
      f.recurring_value === null
        ? null
        : formatAmount(f.recurring_value, currencyMinorDigits(account.currency)),
    recurringFrequency: f.recurring_frequency,
    billing: f.billing,
    startDate: f.start_date,
    endDate: f.end_date,
    vatRate: decimalOrNull(f.vat_rate),
    billedUntil: f.billed_until,
    rateCardID: idOrNull(f.rate_card_id),
    created: f.created_at.toISOString(),
    updated: f.updated_at.toISOString(),
  };
}
