// The fields of a billing transaction as the transactions document names them, and their columns.
// One table drives input mapping, validation and serialisation, so the three never drift apart.
import type { BillingTransactionsTable } from './transactions-repo.ts';

type Column = keyof BillingTransactionsTable;

/** Free-text fields. */
export const TEXT_FIELDS = {
  transactionDescription: 'description',
  transactionNotes: 'notes',
  site: 'site',
  campaign: 'campaign',
  transactionCode: 'transaction_code',
  transactionCarrier: 'carrier',
  transactionSource: 'source',
  transactionCommissionProfile: 'commission_profile',
  commissionHolder: 'commission_holder',
  commissionHolderID2: 'commission_holder2',
  transactionCommissionProfileCommissionType: 'commission_profile_type',
} as const satisfies Record<string, Column>;

/** Amounts that do not land on the invoice (cost, commission): up to 6 decimals. */
export const SIDE_AMOUNT_FIELDS = {
  transactionValueCarrier: 'value_carrier',
  transactionValueCDR: 'value_cdr',
  transactionValueCommission: 'value_commission',
  transactionValueCommissionTargetContribution: 'value_commission_target_contribution',
  transactionValueCommissionTargetContributionOneOff: 'value_commission_target_contribution_one_off',
  transactionValueCommissionTargetContributionRecurring: 'value_commission_target_contribution_recurring',
  transactionValueCommissionTargetContributionCalls: 'value_commission_target_contribution_calls',
  transactionValueCommission2: 'value_commission2',
  transactionValueCommissionTargetContribution2: 'value_commission_target_contribution2',
  transactionValueCommissionTargetContributionOneOff2: 'value_commission_target_contribution_one_off2',
  transactionValueCommissionTargetContributionRecurring2: 'value_commission_target_contribution_recurring2',
  transactionValueCommissionTargetContributionCalls2: 'value_commission_target_contribution_calls2',
  transactionCommissionProfileCommissionValue: 'commission_profile_value',
} as const satisfies Record<string, Column>;

export const DATE_FIELDS = {
  transactionDate: 'transaction_date',
  transactionBillDate: 'bill_date',
  transactionStartDate: 'start_date',
  transactionEndDate: 'end_date',
} as const satisfies Record<string, Column>;

export const COUNT_FIELDS = {
  featureCount: 'feature_count',
  transactionCallCount: 'call_count',
  transactionCallMinutes: 'call_minutes',
} as const satisfies Record<string, Column>;

export type TextField = keyof typeof TEXT_FIELDS;
export type SideAmountField = keyof typeof SIDE_AMOUNT_FIELDS;
export type DateField = keyof typeof DATE_FIELDS;
export type CountField = keyof typeof COUNT_FIELDS;

export const MAX_TEXT_LENGTH = 2000;
