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

// The query works in stages, each a materialized CTE, so that every value is computed once per row however
// often the format's expression names it: p, the page's rows; a, the instants' wall clocks and the amounts
// as text; b, the wall clocks written and the offsets in seconds, the amounts split; c, each column's text.

/** Amounts (feed/columns.ts formatFeedAmount) and the margin, as text split at the point (stage b). */
const AMOUNTS = ['payin', 'payout', 'revenue', 'margin'] as const;

/** feed/columns.ts formatFeedAmount from stage b's parts: at least two decimals, no trailing zeros beyond them. */
const amount = (name: (typeof AMOUNTS)[number]) =>
  sql`case when ${sql.ref(`b.${name}_w`)} is not null then ${sql.ref(`b.${name}_w`)} || '.' || case when length(${sql.ref(`b.${name}_f`)}) >= 2 then ${sql.ref(`b.${name}_f`)} else rpad(${sql.ref(`b.${name}_f`)}, 2, '0') end end`;

/** The offset text of ZoneTime ("+05:30", "-07:00"), from seconds east of UTC. */
const offsetText = (seconds: RawBuilder<unknown>) =>
  sql`(case when ${seconds} < 0 then '-' else '+' end || lpad((abs(${seconds}) / 3600)::text, 2, '0') || ':' || lpad((abs(${seconds}) / 60 % 60)::text, 2, '0'))`;

/** The wall clocks the columns write: the start in the key's and the network's zone, the correction in the key's. */
const CLOCKS = {
  start_key: { instant: 'start_time', zone: 'key' },
  start_network: { instant: 'start_time', zone: 'network' },
  corrected_key: { instant: 'corrected_at', zone: 'key' },
} as const;
type Clock = keyof typeof CLOCKS;

/** "YYYY-MM-DD HH:MM:SS ±HH:MM" (ZoneTime.local) or "YYYY-MM-DDTHH:MM:SS±HH:MM" (ZoneTime.xml) from stage b. */
const local = (clock: Clock, xml: boolean) => {
  const wall = sql.ref(`b.${clock}_wall`);
  const offset = offsetText(sql.ref(`b.${clock}_offset`));
  return xml
    ? sql`left(${wall}, 10) || 'T' || right(${wall}, 8) || ${offset}`
    : sql`${wall} || ' ' || ${offset}`;
};

/** The clocks a column writes. */
function clocksOf(column: TextColumn): Clock[] {
  const clocks: Partial<Record<TextColumn, Clock>> = {
    corrected_at: 'corrected_key',
    start_time_local: 'start_key',
    start_time_xml: 'start_key',
    start_time_network_timezone: 'start_network',
    start_time_network_timezone_xml: 'start_network',
  };
  const clock = clocks[column];
  return clock === undefined ? [] : [clock];
}

/** A column's value as text (null for null) from stage b: strings as they are, numbers and booleans as JavaScript writes them. */
function columnSql(column: TextColumn): ColumnSql {
  const b = (name: string) => sql.ref(`b.${name}`);
  switch (column) {
    case 'transaction_id':
      return { value: transactionId(b('transaction_id')), kind: 'plain' };
    case 'transaction_type':
      return { value: sql`${b('transaction_type')}::text`, kind: 'string' };
    case 'corrects_transaction_id':
      return { value: transactionId(b('corrects_transaction_id')), kind: 'plain' };
    case 'corrected_at':
      return { value: local('corrected_key', false), kind: 'plain' };
    case 'complete_call_id':
      return { value: sql`upper(replace(${b('complete_call_id')}::text, '-', ''))`, kind: 'plain' };
    case 'start_time_local':
      return { value: local('start_key', false), kind: 'plain' };
    case 'start_time_xml':
      return { value: local('start_key', true), kind: 'plain' };
    case 'start_time_utc':
      return {
        value: sql`(extract(epoch from ${b('start_time')})::bigint * 1000)::text`,
        kind: 'number',
      };
    case 'start_time_network_timezone':
      return { value: local('start_network', false), kind: 'plain' };
    case 'start_time_network_timezone_xml':
      return { value: local('start_network', true), kind: 'plain' };
    case 'duration':
      return { value: sql`${b('duration_s')}::text`, kind: 'number' };
    case 'connect_duration':
      return { value: sql`${b('connect_duration_s')}::text`, kind: 'number' };
    case 'calling_phone_number':
      return { value: b('calling_phone_number'), kind: 'string' };
    case 'destination_phone_number':
      return { value: b('destination_phone_number'), kind: 'string' };
    case 'call_result_description_detail':
      return {
        value: sql`case ${b('call_status')} when 'completed' then 'Connected' when 'missed' then 'No Answer' when 'busy' then 'Busy' when 'failed' then 'Failed' else ${b('call_status')} end`,
        kind: 'string',
      };
    case 'advertiser_payin_localized':
      return { value: amount('payin'), kind: 'plain' };
    case 'affiliate_payout_localized':
      return { value: amount('payout'), kind: 'plain' };
    case 'margin_localized':
      return { value: amount('margin'), kind: 'plain' };
    case 'recording':
      return { value: b('recording_url'), kind: 'string' };
    case 'notes':
      return { value: b('notes'), kind: 'string' };
    case 'signal_partner_unique_id':
      return { value: b('partner_unique_id'), kind: 'string' };
    case 'signal_occurred_at':
      return { value: sql`extract(epoch from ${b('occurred_at')})::bigint::text`, kind: 'number' };
    case 'revenue':
      return { value: amount('revenue'), kind: 'plain' };
    case 'signal_name':
      return { value: b('signal_name'), kind: 'string' };
    case 'signal_value':
      return {
        value: sql`case when ${b('signal_value')} then 'true' when not ${b('signal_value')} then 'false' end`,
        kind: 'boolean',
      };
  }
}

/** Stage c's column of the i-th column. */
const cell = (i: number) => sql.ref(`c.v${i}`);

/** JSON: {"column":value,…} as JSON.stringify writes it (PostgreSQL escapes strings the same way). */
function jsonRow(columns: readonly TextColumn[], cells: readonly ColumnSql[]): RawBuilder<unknown> {
  const parts = cells.map(({ kind }, i) => {
    const key = `${i === 0 ? '{' : ','}${JSON.stringify(columns[i])}:`;
    const value =
      kind === 'string'
        ? sql`coalesce(to_json(${cell(i)})::text, 'null')`
        : kind === 'plain'
          ? sql`coalesce('"' || ${cell(i)} || '"', 'null')`
          : sql`coalesce(${cell(i)}, 'null')`;
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
  const fields = cells.map((_, i) => {
    const t = cell(i);
    if (options.forceQuotes) return sql`'"' || replace(coalesce(${t}, ''), '"', '""') || '"'`;
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
  const elements = cells.map(({ kind }, i) => {
    const name = columns[i]!;
    const t = cell(i);
    const text =
      kind === 'string'
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
  const cells = plan.columns.map(columnSql);
  const format = plan.format;
  const row =
    format.kind === 'json'
      ? jsonRow(plan.columns, cells)
      : format.kind === 'csv'
        ? csvRow(cells, format)
        : xmlRow(plan.columns, cells);
  const rowSeparator = format.kind === 'json' ? ',' : format.kind === 'csv' ? format.rowSeparator : '\n';
  const clocks = [...new Set(plan.columns.flatMap(clocksOf))];
  const zoneOf = (clock: Clock) => (CLOCKS[clock].zone === 'key' ? plan.keyZone : plan.networkZone);
  // Stage a: wall clocks (timestamp without time zone) of the instants in their zones and in UTC.
  const aClocks = clocks.map((clock) => {
    const instant = sql.ref(`p.${CLOCKS[clock].instant}`);
    return sql`${instant} at time zone ${zoneOf(clock)}::text as ${sql.ref(`${clock}_zoned`)}, ${instant} at time zone 'UTC' as ${sql.ref(`${clock}_utc`)}`;
  });
  const aAmounts = AMOUNTS.map((name) =>
    name === 'margin'
      ? sql`(p.payin - coalesce(p.payout, 0))::text as margin_text`
      : sql`${sql.ref(`p.${name}`)}::text as ${sql.ref(`${name}_text`)}`,
  );
  // Stage b: the wall clocks written, the offsets in seconds east of UTC, the amounts' whole and fraction.
  const bClocks = clocks.map(
    (clock) =>
      sql`to_char(${sql.ref(`a.${clock}_zoned`)}, 'YYYY-MM-DD HH24:MI:SS') as ${sql.ref(`${clock}_wall`)}, extract(epoch from ${sql.ref(`a.${clock}_zoned`)} - ${sql.ref(`a.${clock}_utc`)})::int as ${sql.ref(`${clock}_offset`)}`,
  );
  const bAmounts = AMOUNTS.map(
    (name) =>
      sql`split_part(${sql.ref(`a.${name}_text`)}, '.', 1) as ${sql.ref(`${name}_w`)}, rtrim(split_part(${sql.ref(`a.${name}_text`)}, '.', 2), '0') as ${sql.ref(`${name}_f`)}`,
  );
  // "quarter hour of UTC:offset in seconds" of each instant written in a zone, for the caller to check.
  const offsets = (zone: 'key' | 'network') => {
    const used = clocks.filter((clock) => CLOCKS[clock].zone === zone);
    if (used.length === 0) return sql`null::text[]`;
    return sql`(select array_agg(distinct o) from (${sql.join(
      used.map(
        (clock) =>
          sql`select floor(extract(epoch from ${sql.ref(`b.${CLOCKS[clock].instant}`)}) / 900)::bigint || ':' || ${sql.ref(`b.${clock}_offset`)} as o from b where ${sql.ref(`b.${CLOCKS[clock].instant}`)} is not null`,
      ),
      sql` union all `,
    )}) as offsets)`;
  };
  const instantOk = (c: string) => {
    const v = sql.ref(`p.${c}`);
    return sql`(${v} is null or (${v} >= '1900-01-01T00:00:00Z' and ${v} < '9999-01-01T00:00:00Z' and date_trunc('second', ${v}) = ${v}))`;
  };
  const result = await sql<{
    rows: string | null;
    count: number;
    exact: boolean | null;
    key_offsets: string[] | null;
    network_offsets: string[] | null;
  }>`
    with p as materialized (${feedPageQuery(db, accountId, query)}),
    a as materialized (
      select p.*, ${sql.join([...aClocks, ...aAmounts])},
        ${instantOk('start_time')} and ${instantOk('corrected_at')} and ${instantOk('occurred_at')}
          and (p.payin is null or scale(p.payin) is not null) and (p.payout is null or scale(p.payout) is not null)
          and (p.revenue is null or scale(p.revenue) is not null)
          and p.call_status <> all(${PROTOTYPE_NAMES}::text[]) as exact
      from p
    ),
    b as materialized (select a.*, ${sql.join([...bClocks, ...bAmounts])} from a),
    c as materialized (
      select b.transaction_id${cells.length === 0 ? sql`` : sql`, ${sql.join(cells.map((c, i) => sql`${c.value} as ${sql.ref(`v${i}`)}`))}`}
      from b
    )
    select (select string_agg(${row}, ${rowSeparator}::text order by c.transaction_id) from c) as rows,
      (select count(*)::int from b) as count,
      (select bool_and(b.exact) from b) as exact,
      ${offsets('key')} as key_offsets,
      ${offsets('network')} as network_offsets
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
