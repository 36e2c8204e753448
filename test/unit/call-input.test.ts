// One call record (a CSV row or a JSON object) checked field by field: every rule, and the reason a user
// reads when a record is refused. Also the CSV header of a CDR file.
import { describe, expect, it } from 'vitest';
import {
  ANONYMOUS,
  type CallInput,
  parseCall,
  type RawCall,
  START_MS,
  startMsCarries,
} from '../../src/calls/call-input.ts';
import { IsoWriter } from '../../src/calls/formats/switch-time.ts';
import { callColumns } from '../../src/calls/import-file.ts';
import { LocalClock } from '../../src/rating/bands.ts';

const london = new LocalClock('Europe/London');
const newYork = new LocalClock('America/New_York');

const GOOD: RawCall = {
  call_id: 'cdr-1',
  from: '441632960001',
  to: '442079460000',
  start_time: '2026-01-15T10:30:00Z',
  duration_s: '90',
  status: 'completed',
};

function parse(overrides: RawCall, clock = london): CallInput {
  return parseCall({ ...GOOD, ...overrides }, clock);
}

/** The reason a record is refused. */
function reason(overrides: RawCall, clock = london): string {
  try {
    parse(overrides, clock);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(overrides)} to be refused`);
}

const utc = (ms: number) => new Date(ms).toISOString();

describe('a good record', () => {
  it('gives every field, with defaults for the optional ones', () => {
    expect(parseCall(GOOD, london)).toEqual({
      sourceCallId: 'cdr-1',
      fromNumber: '441632960001',
      toNumber: '442079460000',
      startMs: Date.parse('2026-01-15T10:30:00Z'),
      durationS: 90,
      status: 'completed',
      direction: 'outbound',
      carrier: null,
      recordingUrl: null,
      transcriptionUrl: null,
      confidenceScore: null,
      voiceAgentId: null,
      internal: false,
      autoDirection: false,
    });
  });

  it('takes every optional field', () => {
    const call = parse({
      direction: 'inbound',
      carrier: 'BT Wholesale',
      recording_url: 'https://files.example.com/rec/1.mp3',
      transcription_url: 'http://files.example.com/tx/1.txt',
      confidence_score: '0.875',
      voice_agent_id: 'agent_42',
    });
    expect(call).toMatchObject({
      direction: 'inbound',
      carrier: 'BT Wholesale',
      recordingUrl: 'https://files.example.com/rec/1.mp3',
      transcriptionUrl: 'http://files.example.com/tx/1.txt',
      confidenceScore: '0.875',
      voiceAgentId: 'agent_42',
    });
  });

  it('trims every field and reads empty optional fields as absent', () => {
    const call = parse({
      call_id: '  cdr-7 ',
      status: ' Completed ',
      duration_s: ' 5 ',
      direction: ' ',
      carrier: '  ',
      recording_url: '',
      confidence_score: '',
    });
    expect(call).toMatchObject({
      sourceCallId: 'cdr-7',
      status: 'completed',
      durationS: 5,
      direction: 'outbound',
      carrier: null,
      recordingUrl: null,
      confidenceScore: null,
    });
  });

  it('takes numbers where JSON gives them', () => {
    const call = parseCall(
      { ...GOOD, call_id: 1234, from: 441632960001, to: 442079460000, duration_s: 61, confidence_score: 1 },
      london,
    );
    expect(call).toMatchObject({
      sourceCallId: '1234',
      fromNumber: '441632960001',
      toNumber: '442079460000',
      durationS: 61,
      confidenceScore: '1',
    });
  });
});

describe('call_id', () => {
  it('is required', () => {
    expect(reason({ call_id: '' })).toBe('call_id: is required');
    expect(reason({ call_id: '   ' })).toBe('call_id: is required');
    expect(reason({ call_id: undefined })).toBe('call_id: is required');
    expect(reason({ call_id: null })).toBe('call_id: is required');
  });

  it('has at most 200 characters', () => {
    expect(parse({ call_id: 'x'.repeat(200) }).sourceCallId).toHaveLength(200);
    expect(reason({ call_id: 'x'.repeat(201) })).toBe('call_id: at most 200 characters');
  });
});

describe('status', () => {
  it.each([
    ['completed', 'completed'],
    ['answered', 'completed'],
    ['ANSWERED', 'completed'],
    ['missed', 'missed'],
    ['no-answer', 'missed'],
    ['no_answer', 'missed'],
    ['noanswer', 'missed'],
    ['cancelled', 'missed'],
    ['canceled', 'missed'],
    ['busy', 'busy'],
    ['Busy', 'busy'],
    ['failed', 'failed'],
  ])('"%s" is %s', (word, status) => {
    expect(parse({ status: word }).status).toBe(status);
  });

  it.each(['', 'ok', 'rejected', 'complete'])('"%s" is refused', (word) => {
    expect(reason({ status: word })).toBe(`status: "${word}" must be completed, missed, busy or failed`);
  });
});

describe('direction', () => {
  it.each([
    ['', 'outbound'],
    [undefined, 'outbound'],
    ['outbound', 'outbound'],
    ['out', 'outbound'],
    ['OUT', 'outbound'],
    ['inbound', 'inbound'],
    ['in', 'inbound'],
    ['Inbound', 'inbound'],
  ])('%j is %s', (word, direction) => {
    expect(parse({ direction: word }).direction).toBe(direction);
  });

  it('refuses anything else', () => {
    expect(reason({ direction: 'internal' })).toBe('direction: "internal" must be inbound or outbound');
    expect(reason({ direction: 'sideways' })).toBe('direction: "sideways" must be inbound or outbound');
  });
});

describe('from and to numbers', () => {
  it('keep digits with an optional leading +', () => {
    expect(parse({ from: '+441632960001', to: '+442079460000' })).toMatchObject({
      fromNumber: '+441632960001',
      toNumber: '+442079460000',
    });
  });

  it('drop the spaces, brackets, dots and dashes people type', () => {
    expect(parse({ from: '+44 (0)1632-960.001', to: '020 7946 0000' })).toMatchObject({
      fromNumber: '+4401632960001',
      toNumber: '02079460000',
    });
  });

  it('have 3 to 17 digits', () => {
    expect(parse({ to: '999' }).toNumber).toBe('999');
    expect(parse({ to: '12345678901234567' }).toNumber).toBe('12345678901234567');
    expect(reason({ to: '99' })).toBe('to: "99" is not a phone number (3 to 17 digits)');
    expect(reason({ to: '123456789012345678' })).toBe(
      'to: "123456789012345678" is not a phone number (3 to 17 digits)',
    );
    expect(reason({ to: '+' })).toBe('to: "+" is not a phone number');
    expect(reason({ to: '9 9' })).toBe('to: "9 9" is not a phone number (3 to 17 digits)');
    expect(reason({ from: '+1 234 567 890 123 456 789' })).toBe(
      'from: "+1 234 567 890 123 456 789" is not a phone number (3 to 17 digits)',
    );
  });

  it('refuse letters and other characters', () => {
    expect(reason({ from: '0800-FLOWERS' })).toBe('from: "0800-FLOWERS" is not a phone number');
    expect(reason({ to: '44#20' })).toBe('to: "44#20" is not a phone number');
    expect(reason({ to: '44+20' })).toBe('to: "44+20" is not a phone number');
  });

  it.each(['', 'anonymous', 'Anonymous', 'withheld', 'PRIVATE', 'unknown', 'restricted'])(
    'a caller who withheld their number (%j) is stored as anonymous',
    (word) => {
      expect(parse({ from: word }).fromNumber).toBe(ANONYMOUS);
    },
  );

  it('the number called can never be withheld', () => {
    expect(reason({ to: '' })).toBe('to: "" is not a phone number');
    expect(reason({ to: 'anonymous' })).toBe('to: "anonymous" is not a phone number');
    expect(reason({ to: 'withheld' })).toBe('to: "withheld" is not a phone number');
  });
});

describe('start_time', () => {
  it.each([
    ['2026-01-15T10:30:00Z', '2026-01-15T10:30:00.000Z'],
    ['2026-01-15 10:30:00Z', '2026-01-15T10:30:00.000Z'],
    ['2026-01-15T10:30Z', '2026-01-15T10:30:00.000Z'],
    ['2026-01-15T10:30:00.123Z', '2026-01-15T10:30:00.123Z'],
    ['2026-01-15T10:30:00.123456789Z', '2026-01-15T10:30:00.123Z'],
    ['2026-01-15T10:30:00+01:00', '2026-01-15T09:30:00.000Z'],
    ['2026-01-15T10:30:00+0100', '2026-01-15T09:30:00.000Z'],
    ['2026-01-15T10:30:00-05:30', '2026-01-15T16:00:00.000Z'],
    ['2026-01-15T00:15:00+05:45', '2026-01-14T18:30:00.000Z'],
    ['2026-01-15T10:30:00+00:00', '2026-01-15T10:30:00.000Z'],
    ['2026-01-15T10:30:00-18:00', '2026-01-16T04:30:00.000Z'],
    ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59.000Z'],
  ])('%s is the instant %s', (text, instant) => {
    expect(utc(parse({ start_time: text }).startMs)).toBe(instant);
  });

  it("reads a time without an offset in the account's timezone, summer and winter", () => {
    expect(utc(parse({ start_time: '2026-01-15T10:30:00' }).startMs)).toBe('2026-01-15T10:30:00.000Z'); // GMT
    expect(utc(parse({ start_time: '2026-07-01 10:00:00' }).startMs)).toBe('2026-07-01T09:00:00.000Z'); // BST
    expect(utc(parse({ start_time: '2026-07-01 10:00:00' }, newYork).startMs)).toBe(
      '2026-07-01T14:00:00.000Z',
    ); // EDT
    expect(utc(parse({ start_time: '2026-01-15T10:30' }, newYork).startMs)).toBe('2026-01-15T15:30:00.000Z'); // EST
  });

  it('reads local times next to the clock changes', () => {
    // Europe/London, 29 March 2026: 00:59 GMT is followed by 02:00 BST.
    expect(utc(parse({ start_time: '2026-03-29T00:59:00' }).startMs)).toBe('2026-03-29T00:59:00.000Z');
    expect(utc(parse({ start_time: '2026-03-29T02:00:00' }).startMs)).toBe('2026-03-29T01:00:00.000Z');
    expect(utc(parse({ start_time: '2026-03-29T23:30:00' }).startMs)).toBe('2026-03-29T22:30:00.000Z');
    // 01:30 does not exist that night: read as 01:30 GMT, which the clocks show as 02:30 BST.
    expect(utc(parse({ start_time: '2026-03-29T01:30:00' }).startMs)).toBe('2026-03-29T01:30:00.000Z');
    // 25 October 2026: 00:30 is BST; 01:30 happens twice (BST, then GMT) and is read as the second, GMT one.
    expect(utc(parse({ start_time: '2026-10-25T00:30:00' }).startMs)).toBe('2026-10-24T23:30:00.000Z');
    expect(utc(parse({ start_time: '2026-10-25T01:30:00' }).startMs)).toBe('2026-10-25T01:30:00.000Z');
    expect(utc(parse({ start_time: '2026-10-25T02:30:00' }).startMs)).toBe('2026-10-25T02:30:00.000Z');
    // New York, 8 March 2026: 01:59 EST is followed by 03:00 EDT.
    expect(utc(parse({ start_time: '2026-03-08T01:59:00' }, newYork).startMs)).toBe(
      '2026-03-08T06:59:00.000Z',
    );
    expect(utc(parse({ start_time: '2026-03-08T03:00:00' }, newYork).startMs)).toBe(
      '2026-03-08T07:00:00.000Z',
    );
  });

  it('is required', () => {
    expect(reason({ start_time: '' })).toBe('start_time: is required');
    expect(reason({ start_time: undefined })).toBe('start_time: is required');
  });

  it.each([
    '15/01/2026 10:30',
    '2026-01-15',
    '2026-01-15T10',
    '20260115T103000Z',
    '2026-1-5T10:30:00Z',
    'yesterday',
    '2026-01-15T10:30:00 Z',
    '2026-01-15T10:30:00+1',
  ])('"%s" is not ISO 8601', (text) => {
    expect(reason({ start_time: text })).toBe(
      `start_time: "${text}" is not an ISO 8601 date-time such as 2026-01-15T10:30:00Z`,
    );
  });

  it.each([
    '2026-02-29T10:00:00Z',
    '2026-04-31T10:00:00Z',
    '2026-13-01T10:00:00Z',
    '2026-00-10T10:00:00Z',
    '2026-01-15T24:00:00Z',
    '2026-01-15T10:60:00Z',
    '2026-01-15T10:30:60Z',
  ])('"%s" is not a real date and time', (text) => {
    expect(reason({ start_time: text })).toBe(`start_time: "${text}" is not a real date and time`);
  });

  it('has a year from 1900 to 2999 (years 0 to 99 are not read as 1900 to 1999)', () => {
    expect(reason({ start_time: '0026-01-15T10:30:00Z' })).toBe(
      'start_time: "0026-01-15T10:30:00Z" is not a date from 1900 to 2999',
    );
    expect(reason({ start_time: '1899-12-31T23:59:59Z' })).toBe(
      'start_time: "1899-12-31T23:59:59Z" is not a date from 1900 to 2999',
    );
    expect(reason({ start_time: '3000-01-01T00:00:00Z' })).toBe(
      'start_time: "3000-01-01T00:00:00Z" is not a date from 1900 to 2999',
    );
  });

  it('has a possible UTC offset', () => {
    expect(reason({ start_time: '2026-01-15T10:30:00+25:00' })).toBe(
      'start_time: "2026-01-15T10:30:00+25:00" has an impossible UTC offset +25:00',
    );
    expect(reason({ start_time: '2026-01-15T10:30:00+01:75' })).toBe(
      'start_time: "2026-01-15T10:30:00+01:75" has an impossible UTC offset +01:75',
    );
    expect(reason({ start_time: '2026-01-15T10:30:00-18:30' })).toBe(
      'start_time: "2026-01-15T10:30:00-18:30" has an impossible UTC offset -18:30',
    );
  });
});

describe('duration_s', () => {
  it('is a whole number of seconds, from 0 to 7 days', () => {
    expect(parse({ duration_s: '0' }).durationS).toBe(0);
    expect(parse({ duration_s: '604800' }).durationS).toBe(604_800);
    expect(parse({ duration_s: '007' }).durationS).toBe(7);
    expect(reason({ duration_s: '604801' })).toBe('duration_s: at most 604800 seconds (7 days)');
    expect(reason({ duration_s: '99999999999999999999' })).toBe(
      'duration_s: at most 604800 seconds (7 days)',
    );
  });

  it.each(['', '90.5', '-1', '1e3', 'ninety', '1:30'])('"%s" is refused', (text) => {
    expect(reason({ duration_s: text })).toBe(`duration_s: "${text}" is not a whole number of seconds`);
  });

  it('refuses JSON numbers that are not whole', () => {
    expect(reason({ duration_s: 90.5 })).toBe('duration_s: "90.5" is not a whole number of seconds');
    expect(reason({ duration_s: -3 })).toBe('duration_s: "-3" is not a whole number of seconds');
  });
});

describe('optional fields', () => {
  it.each(['0', '0.5', '0.12345', '1', '1.0', '1.00000'])('confidence_score "%s" is taken', (text) => {
    expect(parse({ confidence_score: text }).confidenceScore).toBe(text);
  });

  it.each(['1.1', '-0.1', '.5', '0.123456', '2', 'high', '1.000001'])(
    'confidence_score "%s" is refused',
    (text) => {
      expect(reason({ confidence_score: text })).toBe(`confidence_score: "${text}" must be from 0 to 1`);
    },
  );

  it('recording and transcription URLs are http(s)', () => {
    expect(reason({ recording_url: 'ftp://files.example.com/1.mp3' })).toBe(
      'recording_url: "ftp://files.example.com/1.mp3" is not an http(s) URL',
    );
    expect(reason({ transcription_url: 'files.example.com/1.txt' })).toBe(
      'transcription_url: "files.example.com/1.txt" is not an http(s) URL',
    );
    expect(reason({ recording_url: 'https://files.example.com/a b.mp3' })).toBe(
      'recording_url: "https://files.example.com/a b.mp3" is not an http(s) URL',
    );
    expect(reason({ recording_url: 'https://' })).toBe('recording_url: "https://" is not an http(s) URL');
    // The reason quotes at most 100 characters of a long value.
    const long = `https://x.example.com/${'a'.repeat(2000)}`;
    expect(reason({ recording_url: long })).toBe(
      `recording_url: "${long.slice(0, 100)}" is not an http(s) URL`,
    );
    expect(parse({ recording_url: `https://x.example.com/${'a'.repeat(1970)}` }).recordingUrl).toHaveLength(
      1992,
    );
  });

  it('carrier and voice_agent_id have at most 200 characters', () => {
    expect(parse({ carrier: 'c'.repeat(200), voice_agent_id: 'v'.repeat(200) })).toMatchObject({
      carrier: 'c'.repeat(200),
      voiceAgentId: 'v'.repeat(200),
    });
    expect(reason({ carrier: 'c'.repeat(201) })).toBe('carrier: at most 200 characters');
    expect(reason({ voice_agent_id: 'v'.repeat(201) })).toBe('voice_agent_id: at most 200 characters');
  });
});

describe('the reason names the first field at fault, in field order', () => {
  it('checks call_id, status, direction, from, to, start_time, duration_s, then the optional fields', () => {
    const bad: RawCall = {
      call_id: '',
      status: 'x',
      direction: 'x',
      from: 'x',
      to: 'x',
      start_time: 'x',
      duration_s: 'x',
      confidence_score: '9',
      carrier: 'c'.repeat(201),
    };
    const order = [
      'call_id',
      'status',
      'direction',
      'from',
      'to',
      'start_time',
      'duration_s',
      'confidence_score',
      'carrier',
    ];
    const record: RawCall = { ...bad };
    for (const field of order) {
      expect(reason(record)).toMatch(new RegExp(`^${field}: `));
      (record as Record<string, unknown>)[field] = (GOOD as Record<string, unknown>)[field] ?? '';
    }
    expect(() => parse(record)).not.toThrow();
  });
});

describe('the CSV header', () => {
  it('maps the columns it names, in any order and case, ignoring others', () => {
    expect(
      callColumns(['Status', 'duration_s', 'START_TIME', 'to', 'from', 'call_id', 'notes', 'carrier']),
    ).toEqual([
      { field: 'call_id', index: 5 },
      { field: 'from', index: 4 },
      { field: 'to', index: 3 },
      { field: 'start_time', index: 2 },
      { field: 'duration_s', index: 1 },
      { field: 'status', index: 0 },
      { field: 'carrier', index: 7 },
    ]);
    expect(callColumns([' call_id ', 'from', 'to', 'start_time', 'duration_s', 'status'])).toHaveLength(6);
  });

  it('must name every required column', () => {
    expect(() => callColumns(['call_id', 'from', 'to', 'start_time'])).toThrow(
      'header: the CSV header must name call_id,from,to,start_time,duration_s,status; missing: duration_s, status',
    );
    expect(() => callColumns(['id', 'caller', 'callee', 'start', 'seconds', 'result'])).toThrow(
      /missing: call_id, from, to, start_time, duration_s, status$/,
    );
  });
});

describe('the start instant a switch reader hands on (START_MS)', () => {
  it('is carried only where reading the start_time written from it gives it back exactly', () => {
    const iso = new IsoWriter();
    const instants = [
      Date.UTC(1900, 0, 1),
      Date.UTC(1900, 0, 1) - 1000,
      Date.UTC(1899, 11, 31, 23, 30),
      Date.UTC(2026, 9, 1, 0, 2, 32),
      Date.UTC(2026, 9, 1, 0, 2, 32, 1),
      Date.UTC(2026, 9, 1, 0, 2, 32, 999),
      Date.UTC(2024, 1, 29, 23, 59, 59),
      Date.UTC(2999, 11, 31, 23, 59, 59),
      Date.UTC(3000, 0, 1),
      Date.UTC(3000, 0, 1, 0, 0, 1),
    ];
    let carried = 0;
    for (const ms of instants) {
      const written = iso.write(ms);
      const read = (() => {
        try {
          return parse({ start_time: written }).startMs;
        } catch {
          return undefined;
        }
      })();
      if (startMsCarries(ms)) {
        carried += 1;
        expect(read).toBe(ms);
        expect(parse({ start_time: written, [START_MS]: ms }).startMs).toBe(ms);
      }
    }
    expect(carried).toBe(4);
    // Beyond the years start_time takes, the text is read (and refused) as before.
    expect(startMsCarries(Date.UTC(3000, 0, 1))).toBe(false);
    expect(startMsCarries(Date.UTC(1899, 11, 31, 23, 30))).toBe(false);
  });

  it('is taken by parseCall instead of reading start_time', () => {
    // A start_time that says otherwise shows which one parseCall used.
    expect(parse({ start_time: '2026-01-15T10:30:00Z', [START_MS]: Date.UTC(2026, 0, 15, 9) }).startMs).toBe(
      Date.UTC(2026, 0, 15, 9),
    );
    expect(parse({ start_time: '2026-01-15T10:30:00Z', [START_MS]: undefined }).startMs).toBe(
      Date.UTC(2026, 0, 15, 10, 30),
    );
  });
});
