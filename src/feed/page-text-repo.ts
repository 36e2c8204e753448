// A feed page written by the database: each row's JSON object, CSV line or XML element built in the query and
// the page's rows joined there, returned as one text value, so the server does no work per row (no row
// objects, no dates, no renderer). The text is byte for byte what the feed surface's renderers
// (src/http/feed/formats.ts) write from the same rows (a test compares them on every format); the rules
// below restate theirs in SQL. Only the standard columns (feed/columns.ts) are written here: custom data
// columns and nested custom_data stay with the renderers, and so does any page holding a value the two
// could write differently (see FeedPageText.exact).
import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../context.ts';
import { feedPageQuery, type FeedQuery } from './repo.ts';

/** The standard columns the database can write (every standard column but custom_data). */
export const TEXT_COLUMNS = [
  'transaction_id',
  'transaction_type',
  'corrects_transaction_id',
  'corrected_at',
  'complete_call_id',
  'start_time_local',
  'start_time_xml',
  'start_time_utc',
  'start_time_network_timezone',
  'start_time_network_timezone_xml',
  'duration',
  'connect_duration',
  'calling_phone_number',
  'destination_phone_number',
  'call_result_description_detail',
  'advertiser_payin_localized',
  'affiliate_payout_localized',
  'margin_localized',
  'recording',
  'notes',
  'signal_partner_unique_id',
  'signal_occurred_at',
  'revenue',
  'signal_name',
  'signal_value',
] as const;
export type TextColumn = (typeof TEXT_COLUMNS)[number];
const TEXT_COLUMN_SET = new Set<string>(TEXT_COLUMNS);

export function isTextColumn(name: string): name is TextColumn {
  return TEXT_COLUMN_SET.has(name);
}

export type FeedTextFormat =
  | { kind: 'json' }
  | { kind: 'csv'; separator: string; rowSeparator: string; forceQuotes: boolean }
  | { kind: 'xml' };

export interface FeedTextPlan {
  format: FeedTextFormat;
  /** The columns, in order (element names of XML: all are plain names). */
  columns: readonly TextColumn[];
  /** The key's timezone (times) and the account's (the network timezone columns). */
  keyZone: string;
  networkZone: string;
}

export interface FeedPageText {
  /** The rows' texts joined by the format's row separator (JSON ",", XML "\n", CSV the row separator), no envelope. */
  rows: string;
  count: number;
  /**
   * False when a row holds a value the renderers might write otherwise (an instant outside 1900–9998 or
   * with a fraction of a second, an amount that is not a number, a call status named like a property of
   * JavaScript objects): the caller then renders the page itself.
   */
  exact: boolean;
  /**
   * The offsets the database used, as "quarter hour:seconds east of UTC" for each zone: the caller checks
   * them against its own clock (feed/zone-time.ts, one offset per quarter hour of UTC, whole minutes) and
   * renders the page itself if one differs (another tz database, a zone's local mean time).
   */
  keyOffsets: string[];
  networkOffsets: string[];
}

/** The characters JavaScript's \s matches: a CSV field starting or ending with one is quoted (formats.ts). */
const JS_SPACE =
  ' \f\n\r\t\v\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';
/** Characters XML 1.0 cannot carry (formats.ts XML_FORBIDDEN; PostgreSQL text holds no U+0000). */
const XML_FORBIDDEN =
  '\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000b\u000c\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\ufffe\uffff';
/** Call statuses the renderers would look up as a property of Object.prototype ("toString"): left to them. */
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

type Kind = 'string' | 'plain' | 'number' | 'boolean';
interface ColumnSql {
  /** The value as text (null for null): strings as they are, numbers and booleans as JavaScript writes them. */
  value: RawBuilder<unknown>;
  /** string: any text (escaped); plain: text with no character JSON or XML escapes; number, boolean: JSON literals. */
  kind: Kind;
}

const transactionId = (column: RawBuilder<unknown>) =>
  sql`case when ${column} < 10000000000000000 then lpad(${column}::text, 16, '0') else ${column}::text end`;

/** feed/columns.ts formatFeedAmount: at least two decimals, no trailing zeros beyond them. */
const amount = (value: RawBuilder<unknown>) =>
  sql`(split_part(${value}::text, '.', 1) || '.' || case when length(rtrim(split_part(${value}::text, '.', 2), '0')) >= 2 then rtrim(split_part(${value}::text, '.', 2), '0') else rpad(rtrim(split_part(${value}::text, '.', 2), '0'), 2, '0') end)`;

/** The offset text of ZoneTime ("+05:30", "-07:00"), from seconds east of UTC. */
const offsetText = (seconds: RawBuilder<unknown>, colon: string) =>
  sql`(case when ${seconds} < 0 then '-' else '+' end || lpad((abs(${seconds}) / 3600)::text, 2, '0') || ${colon}::text || lpad((abs(${seconds}) / 60 % 60)::text, 2, '0'))`;

function columnSql(column: TextColumn, keyZone: string, networkZone: string): ColumnSql {
  const local = (instant: RawBuilder<unknown>, zone: string, xml: boolean) => {
    const wall = sql`(${instant} at time zone ${zone}::text)`;
    const seconds = sql`extract(epoch from ${wall} - (${instant} at time zone 'UTC'))::int`;
    return xml
      ? sql`to_char(${wall}, 'YYYY-MM-DD"T"HH24:MI:SS') || ${offsetText(seconds, ':')}`
      : sql`to_char(${wall}, 'YYYY-MM-DD HH24:MI:SS') || ' ' || ${offsetText(seconds, ':')}`;
  };
  const p = (name: string) => sql.ref(`p.${name}`);
  switch (column) {
    case 'transaction_id':
      return { value: transactionId(p('transaction_id')), kind: 'plain' };
    case 'transaction_type':
      return { value: sql`${p('transaction_type')}::text`, kind: 'string' };
    case 'corrects_transaction_id':
      return { value: transactionId(p('corrects_transaction_id')), kind: 'plain' };
    case 'corrected_at':
      return { value: local(p('corrected_at'), keyZone, false), kind: 'plain' };
    case 'complete_call_id':
      return { value: sql`upper(replace(${p('complete_call_id')}::text, '-', ''))`, kind: 'plain' };
    case 'start_time_local':
      return { value: local(p('start_time'), keyZone, false), kind: 'plain' };
    case 'start_time_xml':
      return { value: local(p('start_time'), keyZone, true), kind: 'plain' };
    case 'start_time_utc':
      return {
        value: sql`(extract(epoch from ${p('start_time')})::bigint * 1000)::text`,
        kind: 'number',
      };
    case 'start_time_network_timezone':
      return { value: local(p('start_time'), networkZone, false), kind: 'plain' };
    case 'start_time_network_timezone_xml':
      return { value: local(p('start_time'), networkZone, true), kind: 'plain' };
    case 'duration':
      return { value: sql`${p('duration_s')}::text`, kind: 'number' };
    case 'connect_duration':
      return { value: sql`${p('connect_duration_s')}::text`, kind: 'number' };
    case 'calling_phone_number':
      return { value: p('calling_phone_number'), kind: 'string' };
    case 'destination_phone_number':
      return { value: p('destination_phone_number'), kind: 'string' };
    case 'call_result_description_detail':
      return {
        value: sql`case ${p('call_status')} when 'completed' then 'Connected' when 'missed' then 'No Answer' when 'busy' then 'Busy' when 'failed' then 'Failed' else ${p('call_status')} end`,
        kind: 'string',
      };
    case 'advertiser_payin_localized':
      return { value: amount(p('payin')), kind: 'plain' };
    case 'affiliate_payout_localized':
      return { value: amount(p('payout')), kind: 'plain' };
    case 'margin_localized':
      return {
        value: sql`case when ${p('payin')} is not null then ${amount(sql`(${p('payin')} - coalesce(${p('payout')}, 0))`)} end`,
        kind: 'plain',
      };
    case 'recording':
      return { value: p('recording_url'), kind: 'string' };
    case 'notes':
      return { value: p('notes'), kind: 'string' };
    case 'signal_partner_unique_id':
      return { value: p('partner_unique_id'), kind: 'string' };
    case 'signal_occurred_at':
      return { value: sql`extract(epoch from ${p('occurred_at')})::bigint::text`, kind: 'number' };
    case 'revenue':
      return { value: amount(p('revenue')), kind: 'plain' };
    case 'signal_name':
      return { value: p('signal_name'), kind: 'string' };
    case 'signal_value':
      return {
        value: sql`case when ${p('signal_value')} then 'true' when not ${p('signal_value')} then 'false' end`,
        kind: 'boolean',
      };
  }
}

/** JSON: {"column":value,…} as JSON.stringify writes it (PostgreSQL escapes strings the same way). */
function jsonRow(columns: readonly TextColumn[], cells: readonly ColumnSql[]): RawBuilder<unknown> {
  const parts = cells.map((cell, i) => {
    const key = `${i === 0 ? '{' : ','}${JSON.stringify(columns[i])}:`;
    const value =
      cell.kind === 'string'
        ? sql`coalesce(to_json(${cell.value}::text)::text, 'null')`
        : cell.kind === 'plain'
          ? sql`coalesce('"' || ${cell.value} || '"', 'null')`
          : sql`coalesce(${cell.value}, 'null')`;
    return sql`${key}::text || ${value}`;
  });
  if (parts.length === 0) return sql`'{}'::text`;
  return sql`(${sql.join(parts, sql` || `)} || '}')`;
}

/** CSV: a field is quoted when it holds the separator, a quote or a line break, starts or ends with white space, or always. */
function csvRow(
  cells: readonly ColumnSql[],
  options: { separator: string; forceQuotes: boolean },
): RawBuilder<unknown> {
  const fields = cells.map((cell) => {
    if (options.forceQuotes) return sql`'"' || replace(coalesce(${cell.value}, ''), '"', '""') || '"'`;
    const t = sql`(${cell.value})`;
    return sql`case when ${t} is null then '' when strpos(${t}, ${options.separator}::text) > 0 or strpos(${t}, '"') > 0
      or strpos(${t}, e'\n') > 0 or strpos(${t}, e'\r') > 0
      or (${t} <> '' and (strpos(${JS_SPACE}::text, left(${t}, 1)) > 0 or strpos(${JS_SPACE}::text, right(${t}, 1)) > 0))
      then '"' || replace(${t}, '"', '""') || '"' else ${t} end`;
  });
  if (fields.length === 0) return sql`''::text`;
  return sql`(${sql.join(fields, sql` || ${options.separator}::text || `)})`;
}

/** XML: <Transaction><column>text</column>…</Transaction>, an empty value as <column/>. */
function xmlRow(columns: readonly TextColumn[], cells: readonly ColumnSql[]): RawBuilder<unknown> {
  const replacement = '\ufffd'.repeat([...XML_FORBIDDEN].length);
  const elements = cells.map((cell, i) => {
    const name = columns[i]!;
    const t = sql`(${cell.value})`;
    const text =
      cell.kind === 'string'
        ? sql`replace(replace(replace(replace(replace(replace(translate(${t}, ${XML_FORBIDDEN}::text, ${replacement}::text),
            '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&apos;'), e'\r', '&#13;')`
        : t;
    return sql`case when ${t} is null or ${t} = '' then ${`<${name}/>`}::text else ${`<${name}>`}::text || ${text} || ${`</${name}>`}::text end`;
  });
  return sql`('<Transaction>' || ${sql.join([...elements, sql`'</Transaction>'`], sql` || `)})`;
}

/** One page of the feed (the rows readFeedPage() reads), written by the database in the plan's format. */
export async function readFeedPageText(
  db: Executor,
  accountId: number,
  query: FeedQuery,
  plan: FeedTextPlan,
): Promise<FeedPageText> {
  const cells = plan.columns.map((c) => columnSql(c, plan.keyZone, plan.networkZone));
  const format = plan.format;
  const row =
    format.kind === 'json'
      ? jsonRow(plan.columns, cells)
      : format.kind === 'csv'
        ? csvRow(cells, format)
        : xmlRow(plan.columns, cells);
  const rowSeparator = format.kind === 'json' ? ',' : format.kind === 'csv' ? format.rowSeparator : '\n';
  const uses = (...names: TextColumn[]) => names.some((n) => plan.columns.includes(n));
  const keyInstants = [
    ...(uses('start_time_local', 'start_time_xml') ? ['start_time'] : []),
    ...(uses('corrected_at') ? ['corrected_at'] : []),
  ];
  const networkInstants = uses('start_time_network_timezone', 'start_time_network_timezone_xml')
    ? ['start_time']
    : [];
  // "quarter hour of UTC:offset in seconds" of each instant written in the zone.
  const offsets = (instants: string[], zone: string) =>
    instants.length === 0
      ? sql`null::text[]`
      : sql`(select array_agg(distinct o) from (${sql.join(
          instants.map(
            (c) =>
              sql`select floor(extract(epoch from ${sql.ref(`p.${c}`)}) / 900)::bigint || ':' || extract(epoch from (${sql.ref(`p.${c}`)} at time zone ${zone}::text) - (${sql.ref(`p.${c}`)} at time zone 'UTC'))::int as o from p where ${sql.ref(`p.${c}`)} is not null`,
          ),
          sql` union `,
        )}) as offsets)`;
  const instantOk = (c: string) =>
    sql`(${sql.ref(`p.${c}`)} is null or (${sql.ref(`p.${c}`)} >= '1900-01-01T00:00:00Z' and ${sql.ref(`p.${c}`)} < '9999-01-01T00:00:00Z' and date_trunc('second', ${sql.ref(`p.${c}`)}) = ${sql.ref(`p.${c}`)}))`;
  const result = await sql<{
    rows: string | null;
    count: number;
    exact: boolean | null;
    key_offsets: string[] | null;
    network_offsets: string[] | null;
  }>`
    with p as materialized (${feedPageQuery(db, accountId, query)})
    select string_agg(${row}, ${rowSeparator}::text order by p.transaction_id) as rows,
      count(*)::int as count,
      bool_and(${instantOk('start_time')} and ${instantOk('corrected_at')} and ${instantOk('occurred_at')}
        and (p.payin is null or scale(p.payin) is not null) and (p.payout is null or scale(p.payout) is not null)
        and (p.revenue is null or scale(p.revenue) is not null)
        and p.call_status <> all(${PROTOTYPE_NAMES}::text[])) as exact,
      ${offsets(keyInstants, plan.keyZone)} as key_offsets,
      ${offsets(networkInstants, plan.networkZone)} as network_offsets
    from p
  `.execute(db);
  const r = result.rows[0]!;
  return {
    rows: r.rows ?? '',
    count: Number(r.count),
    exact: r.exact ?? true,
    keyOffsets: r.key_offsets ?? [],
    networkOffsets: r.network_offsets ?? [],
  };
}
