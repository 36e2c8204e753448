// Custom data fields an account defines (API name, display name, type). Values sent for calls are checked
// against them; the feed returns them by API name (include_columns) and in the nested custom_data.
// Signals define themselves the first time they are used (type signal).
import type { Ctx, Executor } from '../context.ts';
import type { CustomDataFieldRow, CustomDataType } from './repo.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { isStandardColumn } from './columns.ts';
import {
  deleteCustomDataField,
  findCustomDataField,
  insertCustomDataField,
  insertSignalFields,
  listCustomDataFields,
  updateCustomDataField,
} from './repo.ts';
import { sqlStateOf, UNIQUE_VIOLATION } from '../db/sql-state.ts';

export const CUSTOM_DATA_TYPES = [
  'shortText',
  'longText',
  'category',
  'number',
  'signal',
] as const satisfies readonly CustomDataType[];
const MAX_FIELDS = 1000;
const MAX_NAME = 100;

/** An API name (or signal name): what include_columns names it by, so no commas, no control characters. */
export function checkApiName(field: string, value: string): string {
  const name = value.trim();
  if (name.length === 0 || name.length > MAX_NAME)
    throw invalid(field, `must be 1 to ${MAX_NAME} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[,\u0000-\u001f\u007f]/.test(name))
    throw invalid(
      field,
      'cannot hold a comma or control characters (include_columns lists names separated by commas)',
    );
  if (name.startsWith('$')) throw invalid(field, 'cannot start with $');
  if (isStandardColumn(name)) throw invalid(field, `"${name}" is a standard column of the feed`);
  return name;
}

export interface CustomDataFieldInput {
  apiName?: string | undefined;
  name?: string | undefined;
  dataType?: CustomDataType | undefined;
}

function conflictOnName<T>(promise: Promise<T>, apiName: string | undefined): Promise<T> {
  return promise.catch((error: unknown) => {
    if (sqlStateOf(error) === UNIQUE_VIOLATION)
      throw new DomainError('conflict', `a custom data field or signal named "${apiName}" exists`);
    throw error;
  });
}

export async function createCustomDataField(
  ctx: Ctx,
  accountId: number,
  input: CustomDataFieldInput,
): Promise<CustomDataFieldRow> {
  if (input.apiName === undefined) throw new DomainError('missing_parameter', 'apiName: required', 'apiName');
  const apiName = checkApiName('apiName', input.apiName);
  const name = input.name?.trim() || apiName;
  if (name.length > 255) throw invalid('name', 'at most 255 characters');
  if ((await listCustomDataFields(ctx.db, accountId)).length >= MAX_FIELDS)
    throw invalid('apiName', `an account has at most ${MAX_FIELDS} custom data fields`);
  return conflictOnName(
    insertCustomDataField(
      ctx.db,
      accountId,
      { apiName, name, dataType: input.dataType ?? 'shortText' },
      ctx.now(),
    ),
    apiName,
  );
}

export async function changeCustomDataField(
  ctx: Ctx,
  accountId: number,
  id: number,
  input: CustomDataFieldInput,
): Promise<CustomDataFieldRow> {
  const apiName = input.apiName === undefined ? undefined : checkApiName('apiName', input.apiName);
  const name = input.name?.trim();
  if (name !== undefined && (name.length === 0 || name.length > 255))
    throw invalid('name', 'must be 1 to 255 characters');
  const row = await conflictOnName(
    updateCustomDataField(ctx.db, accountId, id, { apiName, name, dataType: input.dataType }, ctx.now()),
    apiName,
  );
  if (!row) throw notFound('Custom data field', id);
  return row;
}

export async function getCustomDataField(
  ctx: Ctx,
  accountId: number,
  id: number,
): Promise<CustomDataFieldRow> {
  const row = await findCustomDataField(ctx.db, accountId, id);
  if (!row) throw notFound('Custom data field', id);
  return row;
}

export async function removeCustomDataField(ctx: Ctx, accountId: number, id: number): Promise<void> {
  if (!(await deleteCustomDataField(ctx.db, accountId, id))) throw notFound('Custom data field', id);
}

export function customDataFields(ctx: Ctx, accountId: number): Promise<CustomDataFieldRow[]> {
  return listCustomDataFields(ctx.db, accountId);
}

/** Defines the signals not yet known (inside the caller's transaction). */
export async function defineSignalFields(
  db: Executor,
  accountId: number,
  names: string[],
  now: Date,
): Promise<CustomDataFieldRow[]> {
  const checked = names.map((n, i) => checkApiName(`signals.${i}.name`, n));
  return insertSignalFields(db, accountId, [...new Set(checked)], now);
}
