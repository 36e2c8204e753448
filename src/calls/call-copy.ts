// New calls as COPY text (the calls table's bulk load), written straight into a batch's bytes as each call
// is rated: no row array, no per-value strings, no string per row. At hundreds of thousands of calls a
// second the strings alone (ISO times, decimal charges, UUIDs, joined lines) cost more than the rating.
//
// callInsertRow() is the plain statement of the same row (the values in CALL_INSERT_COLUMNS order):
// writeCallRow() must write exactly copyRow(callInsertRow(...)), which the unit tests check. A row is read
// back with callRowFromCopyLine() for the rare batch that has to go in row by row.
//
// Only the columns that hold free text are escaped: every other column holds a number, a word from a
// closed list, a checked phone number, time or score, or text Ringbill wrote, none of which can hold a
// tab, a line break or a backslash.
import { randomFillSync } from 'node:crypto';
import type { RatingStatus } from './repo.ts';
import { fractionOfMicros, fromMicros, wholeUnitsOfMicros } from '../money/micros.ts';
import type { Rating } from '../rating/rate-call.ts';
import type { FeatureWindow } from './allocation.ts';
import type { CallInput } from './call-input.ts';
import type { CallInsertRow } from './repo.ts';

/** What the row records of the call's rating. */
export function ratingStatusOf(
  feature: FeatureWindow | undefined,
  rating: Rating | undefined,
  internal = false,
): RatingStatus {
  if (internal) return 'internal';
  return feature === undefined || rating === undefined ? 'unallocated' : rating.status;
}

/** The row stored for a new call (CALL_INSERT_COLUMNS order). `ratedAt` is an ISO instant. */
export function callInsertRow(
  accountId: number,
  call: CallInput,
  completeCallId: string,
  feature: FeatureWindow | undefined,
  rating: Rating | undefined,
  ratedAt: string,
): CallInsertRow {
  const status = ratingStatusOf(feature, rating, call.internal);
  const rated = rating?.status === 'rated' ? rating : undefined;
  return [
    accountId,
    call.sourceCallId,
    completeCallId,
    call.fromNumber,
    call.toNumber,
    new Date(call.startMs).toISOString(),
    call.durationS,
    call.status,
    call.direction,
    call.carrier,
    call.recordingUrl,
    call.transcriptionUrl,
    call.confidenceScore,
    call.voiceAgentId,
    feature?.customerId ?? null,
    feature?.featureId ?? null,
    status,
    rating?.status === 'unrated' ? rating.reason : null,
    rated?.rateId ?? null,
    rated?.destination ?? null,
    rated?.band ?? null,
    rated?.billableS ?? null,
    rated ? fromMicros(rated.chargeMicros) : status === 'free' ? '0.000000' : null,
    rated?.costMicros != null ? fromMicros(rated.costMicros) : null,
    status === 'rated' || status === 'free' ? ratedAt : null,
  ];
}

const TAB = 9;
const NL = 10;
const CR = 13;
const BACKSLASH = 92;
const HEX = '0123456789abcdef';
const DAY_MS = 86_400_000;

/** A growing byte buffer of COPY text. */
export class CopyWriter {
  private buf: Buffer;
  private pos = 0;
  private readonly dates = new Map<number, string>();
  private random = Buffer.alloc(0);
  private randomAt = 0;

  constructor(initialBytes = 1 << 20) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far; the writer starts again empty (on a new buffer: the old one is handed on). */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.buf.length);
    this.pos = 0;
    return out;
  }

  private room(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  tab(): void {
    this.room(1);
    this.buf[this.pos++] = TAB;
  }

  end(): void {
    this.room(1);
    this.buf[this.pos++] = NL;
  }

  nul(): void {
    this.room(2);
    this.buf[this.pos++] = BACKSLASH;
    this.buf[this.pos++] = 78; // N
  }

  /** Text that cannot hold a tab, a line break or a backslash. */
  plain(s: string): void {
    const n = s.length;
    this.room(n * 3);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) {
        this.pos = pos + buf.write(s.slice(i), pos, 'utf8');
        return;
      }
      buf[pos++] = c;
    }
    this.pos = pos;
  }

  /** Free text, escaped for COPY (backslash, tab, line feed, carriage return). */
  text(s: string): void {
    const n = s.length;
    this.room(n * 3 + n);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) {
        // The rest through the general path: escape as text, then UTF-8.
        this.pos = pos;
        const rest = s
          .slice(i)
          .replace(/[\\\t\n\r]/g, (ch) =>
            ch === '\\' ? '\\\\' : ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : '\\r',
          );
        this.room(rest.length * 3);
        this.pos += this.buf.write(rest, this.pos, 'utf8');
        return;
      }
      if (c === BACKSLASH || c === TAB || c === NL || c === CR) {
        buf[pos++] = BACKSLASH;
        buf[pos++] = c === BACKSLASH ? BACKSLASH : c === TAB ? 116 : c === NL ? 110 : 114;
      } else {
        buf[pos++] = c;
      }
    }
    this.pos = pos;
  }

  optionalText(s: string | null): void {
    if (s === null) this.nul();
    else this.text(s);
  }

  /** A safe integer, as String(n) writes it. */
  int(n: number): void {
    if (n < 0) {
      this.room(1);
      this.buf[this.pos++] = 45; // -
      n = -n;
    }
    if (n < 10) {
      this.room(1);
      this.buf[this.pos++] = 48 + n;
      return;
    }
    let digits = 0;
    for (let m = n; m >= 1; m = Math.floor(m / 10)) digits++;
    this.room(digits);
    let pos = this.pos + digits;
    this.pos = pos;
    for (let m = n; pos > this.pos - digits; m = Math.floor(m / 10)) this.buf[--pos] = 48 + (m % 10);
  }

  /** Micro-units as fromMicros() writes them: "12.345678". */
  micros(n: number): void {
    if (n < 0) {
      this.plain(fromMicros(n));
      return;
    }
    this.int(wholeUnitsOfMicros(n));
    this.room(7);
    const buf = this.buf;
    buf[this.pos++] = 46; // .
    let fraction = fractionOfMicros(n);
    for (let i = 5; i >= 0; i--) {
      buf[this.pos + i] = 48 + (fraction % 10);
      fraction = Math.floor(fraction / 10);
    }
    this.pos += 6;
  }

  private two(n: number): void {
    this.buf[this.pos++] = 48 + Math.floor(n / 10);
    this.buf[this.pos++] = 48 + (n % 10);
  }

  /** An instant as Date.prototype.toISOString() writes it (years 0 to 9999). */
  instant(ms: number): void {
    const day = Math.floor(ms / DAY_MS);
    let date = this.dates.get(day);
    if (date === undefined) {
      const midnight = new Date(day * DAY_MS).toISOString();
      if (midnight.length !== 24) {
        // A year outside 0 to 9999 (+YYYYYY): as toISOString() writes it.
        this.plain(new Date(ms).toISOString());
        return;
      }
      date = midnight.slice(0, 11); // YYYY-MM-DDT
      if (this.dates.size > 10_000) this.dates.clear();
      this.dates.set(day, date);
    }
    this.plain(date);
    let rest = ms - day * DAY_MS;
    const h = Math.floor(rest / 3_600_000);
    rest -= h * 3_600_000;
    const m = Math.floor(rest / 60_000);
    rest -= m * 60_000;
    const s = Math.floor(rest / 1000);
    const milli = rest - s * 1000;
    this.room(13);
    this.two(h);
    this.buf[this.pos++] = 58; // :
    this.two(m);
    this.buf[this.pos++] = 58;
    this.two(s);
    this.buf[this.pos++] = 46; // .
    this.buf[this.pos++] = 48 + Math.floor(milli / 100);
    this.two(milli % 100);
    this.buf[this.pos++] = 90; // Z
  }

  /**
   * A time-ordered (version 7, RFC 9562) UUID: 48 bits of the Unix time in milliseconds, then 74 random
   * bits. The feed's index of calls by complete_call_id (call_transactions_complete_call) then grows at its
   * right edge as calls arrive, as the other indexes of a new call do: a random (version 4) UUID lands each
   * new entry on a random page of that index, which cost as much as the rest of the feed row together.
   */
  uuid(): void {
    if (this.randomAt + 16 > this.random.length) {
      this.random = randomFillSync(Buffer.allocUnsafe(16 * 1024));
      this.randomAt = 0;
    }
    const r = this.random;
    const at = this.randomAt;
    this.randomAt += 16;
    const ms = Date.now();
    const high = Math.floor(ms / 0x1000000); // the top 24 of the 48 bits
    const low = ms % 0x1000000;
    r[at] = (high >>> 16) & 0xff;
    r[at + 1] = (high >>> 8) & 0xff;
    r[at + 2] = high & 0xff;
    r[at + 3] = (low >>> 16) & 0xff;
    r[at + 4] = (low >>> 8) & 0xff;
    r[at + 5] = low & 0xff;
    r[at + 6] = (r[at + 6]! & 0x0f) | 0x70;
    r[at + 8] = (r[at + 8]! & 0x3f) | 0x80;
    this.room(36);
    const buf = this.buf;
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) buf[this.pos++] = 45; // -
      const b = r[at + i]!;
      buf[this.pos++] = HEX.charCodeAt(b >> 4);
      buf[this.pos++] = HEX.charCodeAt(b & 15);
    }
  }
}

/** Writes the row callInsertRow() states, as COPY text with its line ending; `ratedAt` is an ISO instant. */
export function writeCallRow(
  w: CopyWriter,
  accountId: number,
  call: CallInput,
  feature: FeatureWindow | undefined,
  rating: Rating | undefined,
  ratedAt: string,
): void {
  const status = ratingStatusOf(feature, rating, call.internal);
  const rated = rating?.status === 'rated' ? rating : undefined;
  w.int(accountId);
  w.tab();
  w.text(call.sourceCallId);
  w.tab();
  w.uuid();
  w.tab();
  // An internal call's parties are the switch's text (a SIP user name may hold a backslash).
  if (call.internal) {
    w.text(call.fromNumber);
    w.tab();
    w.text(call.toNumber);
  } else {
    w.plain(call.fromNumber);
    w.tab();
    w.plain(call.toNumber);
  }
  w.tab();
  w.instant(call.startMs);
  w.tab();
  w.int(call.durationS);
  w.tab();
  w.plain(call.status);
  w.tab();
  w.plain(call.direction);
  w.tab();
  w.optionalText(call.carrier);
  w.tab();
  w.optionalText(call.recordingUrl);
  w.tab();
  w.optionalText(call.transcriptionUrl);
  w.tab();
  if (call.confidenceScore === null) w.nul();
  else w.plain(call.confidenceScore);
  w.tab();
  w.optionalText(call.voiceAgentId);
  w.tab();
  if (feature === undefined) {
    w.nul();
    w.tab();
    w.nul();
  } else {
    w.int(feature.customerId);
    w.tab();
    w.int(feature.featureId);
  }
  w.tab();
  w.plain(status);
  w.tab();
  if (rating?.status === 'unrated') w.text(rating.reason);
  else w.nul();
  w.tab();
  if (rated === undefined) {
    for (let i = 0; i < 4; i++) {
      w.nul();
      w.tab();
    }
    if (status === 'free') w.plain('0.000000');
    else w.nul();
    w.tab();
    w.nul();
  } else {
    w.int(rated.rateId);
    w.tab();
    w.text(rated.destination);
    w.tab();
    w.plain(rated.band);
    w.tab();
    w.int(rated.billableS);
    w.tab();
    w.micros(rated.chargeMicros);
    w.tab();
    if (rated.costMicros === null) w.nul();
    else w.micros(rated.costMicros);
  }
  w.tab();
  if (status === 'rated' || status === 'free') w.plain(ratedAt);
  else w.nul();
  w.end();
}

const UNESCAPES: Record<string, string> = { '\\': '\\', t: '\t', n: '\n', r: '\r' };

/** The values of a COPY text line written by writeCallRow (NULL as null, every other value as text). */
export function callRowFromCopyLine(line: string): CallInsertRow {
  return line
    .replace(/\n$/, '')
    .split('\t')
    .map((v) => (v === '\\N' ? null : v.replace(/\\([\\tnr])/g, (_, c: string) => UNESCAPES[c]!)));
}
