// Rate cards: named price lists of an account. One may be the account's default (used for calls of
// customers and features that name none); a customer can have its own, and a feature can override it.
import type { Ctx, Executor } from '../context.ts';
import { publish } from '../shared/events.ts';
import type { RateCardRow } from './repo.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import {
  clearDefaultRateCard,
  deleteRateCardRow,
  findRateCard,
  findRateCardByName,
  insertRateCard,
  accountHasRateCards,
  updateRateCardRow,
} from './repo.ts';

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 100) throw invalid('name', 'must be 1 to 100 characters');
  return trimmed;
}

/** Makes a rate card; the account's first is its default unless `isDefault: false` says otherwise. */
export async function createRateCard(
  ctx: Ctx,
  accountId: number,
  input: { name: string; isDefault?: boolean | undefined },
): Promise<RateCardRow> {
  const name = checkName(input.name);
  return ctx.db.transaction().execute(async (trx) => {
    if (await findRateCardByName(trx, accountId, name))
      throw new DomainError('conflict', `a rate card named "${name}" exists`);
    const now = ctx.now();
    const first = input.isDefault === undefined && !(await accountHasRateCards(trx, accountId));
    const card = await insertRateCard(trx, accountId, name, first, now);
    if (!input.isDefault) return card;
    // The old default gives way first: the index rate_cards_default allows one default per account.
    await clearDefaultRateCard(trx, accountId, card.id);
    return (await updateRateCardRow(trx, accountId, card.id, { is_default: true, updated_at: now }))!;
  });
}

export async function updateRateCard(
  ctx: Ctx,
  accountId: number,
  id: number,
  input: { name?: string | undefined; isDefault?: boolean | undefined },
): Promise<RateCardRow> {
  const updated = await ctx.db.transaction().execute(async (trx) => {
    const card = await findRateCard(trx, accountId, id);
    if (!card) throw notFound('Rate card', id);
    const values: { name?: string; is_default?: boolean; updated_at: Date } = { updated_at: ctx.now() };
    if (input.name !== undefined) {
      const name = checkName(input.name);
      const clash = await findRateCardByName(trx, accountId, name);
      if (clash && clash.id !== id) throw new DomainError('conflict', `a rate card named "${name}" exists`);
      values.name = name;
    }
    if (input.isDefault !== undefined) {
      if (input.isDefault) await clearDefaultRateCard(trx, accountId, id);
      values.is_default = input.isDefault;
    }
    return (await updateRateCardRow(trx, accountId, id, values))!;
  });
  // A new default may price calls that were waiting for a rate card.
  if (input.isDefault)
    await publish(ctx, { type: 'rating-basis-changed', accountId, scope: { onlyWaiting: true } });
  return updated;
}

/** Deletes a rate card nobody uses: no customer or feature names it and no call was rated with it. */
export async function deleteRateCard(ctx: Ctx, accountId: number, id: number): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const card = await findRateCard(trx, accountId, id);
    if (!card) throw notFound('Rate card', id);
    // Customers, features and calls answer whether they use it (the 'rate-card-deleting' event).
    const use = await publish(ctx, { type: 'rate-card-deleting', db: trx, accountId, rateCardId: id });
    if (use) throw new DomainError('conflict', `rate card ${id} cannot be deleted: ${use}`);
    await deleteRateCardRow(trx, accountId, id);
  });
}

/** Checks a rate card id given for a customer or feature. */
export async function checkRateCardId(
  db: Executor,
  accountId: number,
  id: number | null | undefined,
  field: string,
): Promise<void> {
  if (id === null || id === undefined) return;
  if (!(await findRateCard(db, accountId, id))) throw invalid(field, `rate card ${id} does not exist`);
}
