// Which feature a call belongs to: the feature whose phone number is the call's `from` number (outbound)
// or `to` number (inbound), on the call's local date. A number can move between features over time.
import { phoneMatchKey } from '../shared/contact.ts';
import type { IsoDate } from '../shared/dates.ts';

export interface FeatureWindow {
  featureId: number;
  customerId: number;
  /** The feature's rate card, else its customer's; null: the account default applies. */
  rateCardId: number | null;
  startDate: IsoDate | null;
  endDate: IsoDate | null;
}

export class FeatureIndex {
  private readonly byNumber = new Map<string, FeatureWindow[]>();
  private readonly byId = new Map<number, FeatureWindow>();

  constructor(features: Iterable<FeatureWindow & { phoneNumber: string }>) {
    for (const f of features) {
      this.byId.set(f.featureId, f);
      const key = phoneMatchKey(f.phoneNumber);
      const list = this.byNumber.get(key);
      if (list) list.push(f);
      else this.byNumber.set(key, [f]);
    }
  }

  byFeature(featureId: number): FeatureWindow | undefined {
    return this.byId.get(featureId);
  }

  /** The feature with this number (with or without its leading "+") on the date. */
  find(number: string, date: IsoDate): FeatureWindow | undefined {
    const list = this.byNumber.get(phoneMatchKey(number));
    if (!list) return undefined;
    for (const f of list) {
      if ((f.startDate === null || f.startDate <= date) && (f.endDate === null || date <= f.endDate))
        return f;
    }
    return undefined;
  }
}

/** The number that tells whose call it is. */
export function ownNumber(call: {
  direction: 'inbound' | 'outbound';
  fromNumber: string;
  toNumber: string;
}): string {
  return call.direction === 'outbound' ? call.fromNumber : call.toNumber;
}
