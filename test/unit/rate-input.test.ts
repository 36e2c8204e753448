// One rate (a CSV row or a JSON object) checked field by field, with the reason a user reads when a row is
// refused; and a rate card CSV read into rows, with line numbers and malformed lines.
import { describe, expect, it } from 'vitest';
import { parseRatesCsv } from '../../src/rate-cards/rate-csv.ts';
import { parseRate, type RateRecord, rateRecordFromJson } from '../../src/rate-cards/rate-input.ts';

const GOOD: RateRecord = { prefix: '44', destination: 'United Kingdom', rate_per_minute: '0.0125' };

function reason(overrides: RateRecord): string {
  try {
    parseRate({ ...GOOD, ...overrides });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(overrides)} to be refused`);
}

describe('a good rate', () => {
  it('takes the defaults: no fee, no minimum, 60/60, all times, no carrier cost', () => {
    expect(parseRate(GOOD)).toEqual({
      prefix: '44',
      destination: 'United Kingdom',
      band: 'all',
      ratePerMinute: '0.0125',
      connectionFee: '0',
      minimumCharge: '0',
      initialIncrementS: 60,
      subsequentIncrementS: 60,
      costPerMinute: null,
    });
  });

  it('takes every column, trimmed, amounts in their plain form', () => {
    expect(
      parseRate({
        prefix: ' +447 ',
        destination: ' UK mobile ',
        rate_per_minute: '0.100',
        connection_fee: '0.05',
        minimum_charge: '000.10',
        initial_increment_s: '30',
        subsequent_increment_s: ' 6 ',
        band: 'PEAK',
        cost_per_minute: '0.008000',
      }),
    ).toEqual({
      prefix: '447',
      destination: 'UK mobile',
      band: 'peak',
      ratePerMinute: '0.1',
      connectionFee: '0.05',
      minimumCharge: '0.1',
      initialIncrementS: 30,
      subsequentIncrementS: 6,
      costPerMinute: '0.008',
    });
  });

  it('takes numbers where JSON gives them', () => {
    expect(
      parseRate({
        prefix: 44,
        destination: 'UK',
        rate_per_minute: 0.0125,
        connection_fee: 0,
        initial_increment_s: 1,
        subsequent_increment_s: 1,
      }),
    ).toMatchObject({
      prefix: '44',
      ratePerMinute: '0.0125',
      connectionFee: '0',
      initialIncrementS: 1,
      subsequentIncrementS: 1,
    });
  });

  it.each(['all', 'peak', 'offpeak', 'weekend', 'Weekend', ''])('band %j is taken', (band) => {
    expect(parseRate({ ...GOOD, band }).band).toBe(band === '' ? 'all' : band.toLowerCase());
  });

  it('takes the limits exactly', () => {
    expect(
      parseRate({
        ...GOOD,
        prefix: '1'.repeat(20),
        rate_per_minute: '1000',
        connection_fee: '1000000',
        minimum_charge: '1000000',
        initial_increment_s: '3600',
        cost_per_minute: '1000',
      }),
    ).toMatchObject({
      prefix: '1'.repeat(20),
      ratePerMinute: '1000',
      connectionFee: '1000000',
      minimumCharge: '1000000',
      initialIncrementS: 3600,
      costPerMinute: '1000',
    });
    expect(parseRate({ ...GOOD, rate_per_minute: '0', destination: 'd'.repeat(200) })).toMatchObject({
      ratePerMinute: '0',
    });
  });
});

describe('refused rates', () => {
  it.each([
    [{ prefix: '' }, 'prefix: "" must be 1 to 20 digits'],
    [{ prefix: null }, 'prefix: "" must be 1 to 20 digits'],
    [{ prefix: '+' }, 'prefix: "+" must be 1 to 20 digits'],
    [{ prefix: '44 20' }, 'prefix: "44 20" must be 1 to 20 digits'],
    [{ prefix: '44x' }, 'prefix: "44x" must be 1 to 20 digits'],
    [{ prefix: '1'.repeat(21) }, `prefix: "${'1'.repeat(21)}" must be 1 to 20 digits`],
    [{ prefix: -44 }, 'prefix: "-44" must be 1 to 20 digits'],
    [{ destination: '' }, 'destination: must be 1 to 200 characters'],
    [{ destination: '   ' }, 'destination: must be 1 to 200 characters'],
    [{ destination: 'd'.repeat(201) }, 'destination: must be 1 to 200 characters'],
    [{ rate_per_minute: '' }, 'rate_per_minute: is required'],
    [{ rate_per_minute: null }, 'rate_per_minute: is required'],
    [
      { rate_per_minute: 'free' },
      'rate_per_minute: "free" is not a decimal amount with at most 6 decimal places',
    ],
    [
      { rate_per_minute: '0.0000001' },
      'rate_per_minute: "0.0000001" is not a decimal amount with at most 6 decimal places',
    ],
    [
      { rate_per_minute: '1e-3' },
      'rate_per_minute: "1e-3" is not a decimal amount with at most 6 decimal places',
    ],
    [
      { rate_per_minute: '£0.10' },
      'rate_per_minute: "£0.10" is not a decimal amount with at most 6 decimal places',
    ],
    [
      { rate_per_minute: '0,10' },
      'rate_per_minute: "0,10" is not a decimal amount with at most 6 decimal places',
    ],
    [{ rate_per_minute: '-0.01' }, 'rate_per_minute: must not be negative'],
    [{ rate_per_minute: '1000.000001' }, 'rate_per_minute: must be at most 1000'],
    [{ connection_fee: '-1' }, 'connection_fee: must not be negative'],
    [{ connection_fee: '1000000.01' }, 'connection_fee: must be at most 1000000'],
    [{ connection_fee: 'x' }, 'connection_fee: "x" is not a decimal amount with at most 6 decimal places'],
    [{ minimum_charge: '-0.05' }, 'minimum_charge: must not be negative'],
    [{ minimum_charge: '1000001' }, 'minimum_charge: must be at most 1000000'],
    [{ initial_increment_s: '0' }, 'initial_increment_s: must be 1 to 3600 seconds'],
    [{ initial_increment_s: '3601' }, 'initial_increment_s: must be 1 to 3600 seconds'],
    [{ initial_increment_s: '1.5' }, 'initial_increment_s: "1.5" is not a whole number of seconds'],
    [{ initial_increment_s: '-6' }, 'initial_increment_s: "-6" is not a whole number of seconds'],
    [{ subsequent_increment_s: '0' }, 'subsequent_increment_s: must be 1 to 3600 seconds'],
    [{ subsequent_increment_s: 'six' }, 'subsequent_increment_s: "six" is not a whole number of seconds'],
    [{ band: 'evening' }, 'band: "evening" must be one of all, peak, offpeak, weekend'],
    [{ band: 'off-peak' }, 'band: "off-peak" must be one of all, peak, offpeak, weekend'],
    [{ cost_per_minute: '-0.001' }, 'cost_per_minute: must not be negative'],
    [{ cost_per_minute: '1001' }, 'cost_per_minute: must be at most 1000'],
    [
      { cost_per_minute: 'n/a' },
      'cost_per_minute: "n/a" is not a decimal amount with at most 6 decimal places',
    ],
  ] as [RateRecord, string][])('%j: %s', (overrides, expected) => {
    expect(reason(overrides)).toBe(expected);
  });

  it('names the first field at fault: prefix, destination, rate, band, amounts, increments, cost', () => {
    expect(reason({ prefix: 'x', destination: '', rate_per_minute: '', band: 'x' })).toMatch(/^prefix:/);
    expect(reason({ destination: '', rate_per_minute: '', band: 'x' })).toMatch(/^destination:/);
    expect(reason({ rate_per_minute: '', band: 'x' })).toMatch(/^rate_per_minute:/);
    expect(reason({ band: 'x', rate_per_minute: 'x' })).toMatch(/^band:/);
    expect(reason({ rate_per_minute: 'x', connection_fee: 'x' })).toMatch(/^rate_per_minute:/);
    expect(reason({ minimum_charge: 'x', initial_increment_s: 'x' })).toMatch(/^minimum_charge:/);
    expect(reason({ initial_increment_s: 'x', cost_per_minute: 'x' })).toMatch(/^initial_increment_s:/);
  });
});

describe('a rate sent as JSON', () => {
  it('maps the camelCase fields to the columns', () => {
    expect(
      rateRecordFromJson({
        prefix: 44,
        destination: 'UK',
        ratePerMinute: '0.0125',
        connectionFee: 0,
        minimumCharge: '0.05',
        initialIncrementS: 30,
        subsequentIncrementS: 6,
        band: 'peak',
        costPerMinute: null,
      }),
    ).toEqual({
      prefix: 44,
      destination: 'UK',
      rate_per_minute: '0.0125',
      connection_fee: 0,
      minimum_charge: '0.05',
      initial_increment_s: 30,
      subsequent_increment_s: 6,
      band: 'peak',
    });
  });

  it('refuses unknown (misspelt) fields, values that are not text or numbers, and anything but an object', () => {
    const reason = (value: unknown) => {
      try {
        rateRecordFromJson(value);
      } catch (error) {
        return (error as Error).message;
      }
      return 'taken';
    };
    expect(reason({ prefix: '44', destination: 'UK', ratePerMinute: '0.1', bnad: 'peak' })).toBe(
      'unknown field bnad',
    );
    expect(reason({ prefix: '44', rate_per_minute: '0.1', fee: 1 })).toBe(
      'unknown fields rate_per_minute, fee',
    );
    expect(reason({ prefix: ['44'] })).toBe('prefix: must be a string or a number');
    expect(reason({ prefix: '44', band: false })).toBe('band: must be a string or a number');
    expect(reason('44,UK,0.1')).toBe('not a rate object');
    expect(reason(null)).toBe('not a rate object');
    expect(reason([])).toBe('not a rate object');
    expect(reason({})).toBe('taken'); // and then parseRate says what is missing
    expect(() => parseRate(rateRecordFromJson({ prefix: '44', destination: 'UK' }))).toThrow(
      'rate_per_minute: is required',
    );
  });
});

describe('rate card CSV', () => {
  const HEADER =
    'prefix,destination,rate_per_minute,connection_fee,minimum_charge,initial_increment_s,subsequent_increment_s';

  it('reads each row with its line number (the header is line 1) and its text', () => {
    const rows = parseRatesCsv(
      `${HEADER}\n44,United Kingdom,0.0125,0,0,60,60\n447,UK mobile,0.10,0.02,0.05,30,6\n`,
    );
    expect(rows).toEqual([
      {
        line: 2,
        raw: '44,United Kingdom,0.0125,0,0,60,60',
        record: {
          prefix: '44',
          destination: 'United Kingdom',
          rate_per_minute: '0.0125',
          connection_fee: '0',
          minimum_charge: '0',
          initial_increment_s: '60',
          subsequent_increment_s: '60',
        },
      },
      {
        line: 3,
        raw: '447,UK mobile,0.10,0.02,0.05,30,6',
        record: {
          prefix: '447',
          destination: 'UK mobile',
          rate_per_minute: '0.10',
          connection_fee: '0.02',
          minimum_charge: '0.05',
          initial_increment_s: '30',
          subsequent_increment_s: '6',
        },
      },
    ]);
  });

  it('reads the header in any case and order, with a byte-order mark, CRLF line ends and optional columns', () => {
    const rows = parseRatesCsv(
      '\ufeffBand,Rate_Per_Minute,Prefix,Destination,Cost_Per_Minute,Notes\r\npeak,0.2,44,UK,0.01,ignored\r\n',
    );
    expect(rows).toEqual([
      {
        line: 2,
        raw: 'peak,0.2,44,UK,0.01,ignored',
        record: {
          prefix: '44',
          destination: 'UK',
          rate_per_minute: '0.2',
          band: 'peak',
          cost_per_minute: '0.01',
        },
      },
    ]);
  });

  it('keeps line numbers right across blank lines and quoted fields, and reports rows with the wrong column count', () => {
    const rows = parseRatesCsv(
      `${HEADER}\n\n44,"United Kingdom, all",0.01,0,0,60,60\n\n\n33,France,0.02\n1,USA,0.01,0,0,60,60\n`,
    );
    expect(rows.map((r) => [r.line, r.raw, r.record.destination, r.unreadable])).toEqual([
      [3, '44,"United Kingdom, all",0.01,0,0,60,60', 'United Kingdom, all', undefined],
      [6, '33,France,0.02', 'France', 'expected 7 columns as in the header, found 3'],
      [7, '1,USA,0.01,0,0,60,60', 'USA', undefined],
    ]);
  });

  it('a stray quote spoils its own line only, never the lines after it', () => {
    const rows = parseRatesCsv(
      'prefix,destination,rate_per_minute\n44,UK,0.10\n"45"x,Nowhere,0.2\n46,Somewhere,0.3\n47,Elsewhere,0.4\n',
    );
    expect(rows.map((r) => [r.line, r.record.prefix])).toEqual([
      [2, '44'],
      [3, '"45"x'],
      [4, '46'],
      [5, '47'],
    ]);
    // The spoiled prefix is then refused with its reason.
    expect(() => parseRate(rows[1]!.record)).toThrow('prefix: ""45"x" must be 1 to 20 digits');
  });

  it('a quote never closed makes the rest of the file one unreadable row, reported', () => {
    const rows = parseRatesCsv(
      'prefix,destination,rate_per_minute\n44,UK,0.10\n45,"Nowhere,0.2\n46,Somewhere,0.3\n',
    );
    expect(rows[0]).toMatchObject({ line: 2, record: { prefix: '44' } });
    expect(rows).toHaveLength(2);
    expect(rows[1]!.unreadable).toMatch(/^malformed CSV: Quote Not Closed/);
  });

  it('refuses a file without the required header columns, or with no header', () => {
    expect(() => parseRatesCsv('prefix,name,price\n44,UK,0.1\n')).toThrow(
      'header: the header must name prefix,destination,rate_per_minute, and may name connection_fee,minimum_charge,initial_increment_s,subsequent_increment_s (0, 0, 60 and 60 when absent), band and cost_per_minute; missing: destination, rate_per_minute',
    );
    expect(() => parseRatesCsv('')).toThrow('file: the rate card is empty: it needs a header line and rates');
    expect(() => parseRatesCsv('\n\n')).toThrow(/empty/);
  });

  it('a header alone gives no rows', () => {
    expect(parseRatesCsv('prefix,destination,rate_per_minute\n')).toEqual([]);
  });
});
