// Names for the prepaid tables (migration 0016), derived from the generated types (see schema.ts).
import type { Selectable } from 'kysely';
import type * as G from './schema.generated.ts';

export type BillingMode = Selectable<G.Customers>['billing_mode'];
export type EntryKind = Selectable<G.BalanceEntries>['kind'];
export type TopUpMethod = Selectable<G.BalanceTopUps>['method'];
export type TopUpStatus = Selectable<G.BalanceTopUps>['status'];
export type ReservationStatus = Selectable<G.Reservations>['status'];
export type AlertKind = Selectable<G.BalanceAlerts>['kind'];

export type BalanceRow = Selectable<G.Balances>;
export type BalanceEntryRow = Selectable<G.BalanceEntries>;
export type TopUpRow = Selectable<G.BalanceTopUps>;
export type ReservationRow = Selectable<G.Reservations>;
export type BalanceAlertRow = Selectable<G.BalanceAlerts>;
export type PortalSessionRow = Selectable<G.PortalSessions>;
