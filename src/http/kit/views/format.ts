// Small formatting helpers shared by the wire views.
import { formatDecimal } from '../../../money/money.ts';

export const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
export const idOrNull = (n: number | null): string | null => (n === null ? null : String(n));
export const decimalOrNull = (v: string | null): string | null => (v === null ? null : formatDecimal(v));
