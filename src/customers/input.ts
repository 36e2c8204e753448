import { addressColumns, type PostalAddress } from '../accounts/settings.ts';
import type { CustomerUpdate } from './repo.ts';
import { normaliseEmailField, normaliseOptionalPhone } from '../shared/contact.ts';
import { invalid } from '../shared/errors.ts';
import { isDecimalString, money } from '../money/money.ts';

export interface CustomerInput {
  name?: string;
  accountNumber?: string | null;
  email?: string | string[] | null;
  mobileNumber?: string | null;
  reverseCharge?: boolean;
  vatNumber?: string | null;
  paymentTermsDays?: number | null;
  paymentMethod?: string | null;
  billingAddress?: PostalAddress | null;
  /** The rate card for this customer's calls; null: the account's default. */
  rateCardID?: string | number | null;
  /** How bills reach the customer: email (default) or post (charged the account's manual billing fee). */
  billDelivery?: 'email' | 'post';
  /** The customer's discount plan; null: none. */
  discountPlanID?: string | number | null;
  /** Printed on the customer's bills. */
  customerReference?: string | null;
  purchaseOrderNumber?: string | null;
  /** postpaid (default): invoiced; prepaid: calls are paid from a balance topped up in advance. */
  billingMode?: 'postpaid' | 'prepaid';
  /** Postpaid: the most unbilled usage plus unpaid invoices may reach; null: no limit. */
  creditLimit?: string | number | null;
  /** Prepaid: how far below zero the balance may go (default 0). */
  overdraft?: string | number;
}

/** A rate card id as given: null clears it. */
export function rateCardIdOf(
  value: string | number | null | undefined,
  field: string,
): number | null | undefined {
  if (value === undefined || value === null) return value;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw invalid(field, 'must be the id of a rate card');
  return n;
}

/** A credit limit or overdraft: zero or more, at most 6 decimals, as a string ("500.00"). */
function creditAmount(value: string | number, field: string): string {
  const text = typeof value === 'number' ? String(value) : value.trim();
  if (!isDecimalString(text) || money(text).isNegative())
    throw invalid(field, 'must be an amount of zero or more, as a string ("500.00")');
  return money(text).toFixed();
}

/** Checks customer fields and maps the ones given to columns. */
export function customerColumns(input: CustomerInput): CustomerUpdate {
  const out: CustomerUpdate = {};
  if (input.name !== undefined) {
    const name = input.name.trim();
    if (name.length === 0) throw invalid('name', 'must not be empty');
    out.name = name;
  }
  if (input.accountNumber !== undefined) {
    const accountNumber = input.accountNumber?.trim() || null;
    out.account_number = accountNumber;
  }
  const email = normaliseEmailField(input.email, 'email');
  if (email !== undefined) out.email = email;
  const mobile = normaliseOptionalPhone(input.mobileNumber, 'mobileNumber');
  if (mobile !== undefined) out.mobile_number = mobile;
  if (input.reverseCharge !== undefined) out.reverse_charge = input.reverseCharge;
  if (input.vatNumber !== undefined) out.vat_number = input.vatNumber?.trim() || null;
  if (input.paymentTermsDays !== undefined) out.payment_terms_days = input.paymentTermsDays;
  if (input.paymentMethod !== undefined) out.payment_method = input.paymentMethod;
  if (input.billingAddress !== undefined) Object.assign(out, addressColumns(input.billingAddress));
  const rateCardId = rateCardIdOf(input.rateCardID, 'rateCardID');
  if (rateCardId !== undefined) out.rate_card_id = rateCardId;
  if (input.billDelivery !== undefined) {
    if (input.billDelivery !== 'email' && input.billDelivery !== 'post')
      throw invalid('billDelivery', 'must be email or post');
    out.bill_delivery = input.billDelivery;
  }
  if (input.discountPlanID !== undefined) {
    const id = input.discountPlanID === null ? null : Number(input.discountPlanID);
    if (id !== null && (!Number.isSafeInteger(id) || id <= 0))
      throw invalid('discountPlanID', 'must be the id of a discount plan');
    out.discount_plan_id = id;
  }
  if (input.customerReference !== undefined) out.customer_reference = input.customerReference?.trim() || null;
  if (input.purchaseOrderNumber !== undefined)
    out.purchase_order_number = input.purchaseOrderNumber?.trim() || null;
  if (input.billingMode !== undefined) {
    if (input.billingMode !== 'postpaid' && input.billingMode !== 'prepaid')
      throw invalid('billingMode', 'must be postpaid or prepaid');
    out.billing_mode = input.billingMode;
  }
  if (input.creditLimit !== undefined)
    out.credit_limit = input.creditLimit === null ? null : creditAmount(input.creditLimit, 'creditLimit');
  if (input.overdraft !== undefined) out.overdraft = creditAmount(input.overdraft, 'overdraft');
  return out;
}
