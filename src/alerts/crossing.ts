// When an alert fires: once per crossing, or once per period. Pure code.
//   low_balance    available below the threshold; fires when it falls below, re-arms when it is back at or above.
//   credit_used    credit used, in percent of the credit limit (prepaid: of the overdraft), at or above the
//                  threshold (80, 100…); fires when it reaches it, re-arms when it drops below.
//   spend_daily    spend (call debits, VAT included) in the customer's local day at or above the threshold:
//   spend_monthly  once per day / month.
import type { AlertKind } from './repo.ts';
import { money, type Money } from '../money/money.ts';

export interface AlertState {
  fired: boolean;
  period: string | null;
}

export interface AlertValues {
  available: Money | null;
  creditUsedPercent: Money | null;
  spentToday: Money;
  today: string;
  spentThisMonth: Money;
  month: string;
}

export interface Decision {
  fire: boolean;
  state: AlertState;
  /** The value compared with the threshold. */
  value: Money | null;
}

export function decide(kind: AlertKind, threshold: string, state: AlertState, v: AlertValues): Decision {
  const t = money(threshold);
  switch (kind) {
    case 'low_balance': {
      if (v.available === null) return { fire: false, state, value: null };
      const below = v.available.lessThan(t);
      if (below && !state.fired)
        return { fire: true, state: { fired: true, period: null }, value: v.available };
      if (!below && state.fired)
        return { fire: false, state: { fired: false, period: null }, value: v.available };
      return { fire: false, state, value: v.available };
    }
    case 'credit_used': {
      if (v.creditUsedPercent === null) return { fire: false, state, value: null };
      const reached = v.creditUsedPercent.greaterThanOrEqualTo(t);
      if (reached && !state.fired)
        return { fire: true, state: { fired: true, period: null }, value: v.creditUsedPercent };
      if (!reached && state.fired)
        return { fire: false, state: { fired: false, period: null }, value: v.creditUsedPercent };
      return { fire: false, state, value: v.creditUsedPercent };
    }
    case 'spend_daily':
    case 'spend_monthly': {
      const [spent, period] = kind === 'spend_daily' ? [v.spentToday, v.today] : [v.spentThisMonth, v.month];
      if (spent.greaterThanOrEqualTo(t) && t.greaterThan(0) && state.period !== period) {
        return { fire: true, state: { fired: true, period }, value: spent };
      }
      return { fire: false, state, value: spent };
    }
  }
}

export const WEBHOOK_OF_KIND = {
  low_balance: 'balance.low',
  credit_used: 'credit.limit',
  spend_daily: 'spend.threshold',
  spend_monthly: 'spend.threshold',
} as const satisfies Record<AlertKind, string>;
