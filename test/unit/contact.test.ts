// Contact fields: email address lists and phone number normalisation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  normaliseEmailField,
  normaliseOptionalPhone,
  normalisePhoneNumber,
  parseEmailList,
} from '../../src/shared/contact.ts';
import { DomainError } from '../../src/shared/errors.ts';

/** Runs `fn` and returns the DomainError it throws. */
function domainError(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error('expected a DomainError');
}

describe('parseEmailList', () => {
  it('splits on commas and semicolons and trims', () => {
    expect(parseEmailList('a@x.com, b@y.com; c@z.com', 'email')).toEqual(['a@x.com', 'b@y.com', 'c@z.com']);
    expect(parseEmailList('a@x.com;b@y.com,c@z.com', 'email')).toEqual(['a@x.com', 'b@y.com', 'c@z.com']);
    expect(parseEmailList('  billing@example.co.uk  ', 'email')).toEqual(['billing@example.co.uk']);
  });

  it('ignores empty parts and trailing separators', () => {
    expect(parseEmailList('', 'email')).toEqual([]);
    expect(parseEmailList(' ; , ;', 'email')).toEqual([]);
    expect(parseEmailList('a@x.com,,b@y.com;', 'email')).toEqual(['a@x.com', 'b@y.com']);
  });

  it('takes an array whose items may themselves be lists', () => {
    expect(parseEmailList(['a@x.com', 'b@y.com; c@z.com', ''], 'email')).toEqual([
      'a@x.com',
      'b@y.com',
      'c@z.com',
    ]);
    expect(parseEmailList([], 'email')).toEqual([]);
  });

  it('keeps the order and the spelling of addresses', () => {
    expect(parseEmailList('Zed@Example.com, amy+bills@sub.example.org', 'email')).toEqual([
      'Zed@Example.com',
      'amy+bills@sub.example.org',
    ]);
  });

  it.each([
    'plainaddress',
    'a@b',
    'a@b.c',
    '@example.com',
    'a@',
    'a@@example.com',
    'a b@example.com',
    'a@exa mple.com',
    '"quoted"@example.com',
    'Name <a@example.com>',
    'a@example.com b@example.com',
    `${'x'.repeat(65)}@example.com`,
  ])('rejects %j with invalid_input on the field', (value) => {
    const error = domainError(() => parseEmailList(value, 'invoiceEmail'));
    expect(error.code).toBe('invalid_input');
    expect(error.field).toBe('invoiceEmail');
  });

  it('names the bad address when one of several is invalid', () => {
    const error = domainError(() => parseEmailList('a@x.com; not-an-address, c@z.com', 'email'));
    expect(error.message).toContain('"not-an-address"');
  });

  it('accepts a 64-character local part and refuses addresses over 254 characters', () => {
    expect(parseEmailList(`${'x'.repeat(64)}@example.com`, 'email')).toHaveLength(1);
    const long = `a@${'d'.repeat(250)}.com`; // 256 characters
    expect(() => parseEmailList(long, 'email')).toThrow(DomainError);
  });

  it('allows at most 20 addresses', () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => `user${i}@example.com`).join(', ');
    expect(parseEmailList(list(20), 'email')).toHaveLength(20);
    expect(domainError(() => parseEmailList(list(21), 'email')).message).toContain('at most 20');
  });

  it('round-trips any list of valid addresses, whatever the separators', () => {
    const label = fc.stringMatching(/^[a-z0-9]{1,10}$/);
    const address = fc
      .tuple(label, label, fc.constantFrom('com', 'co.uk', 'org', 'io'))
      .map(([user, host, tld]) => `${user}@${host}.${tld}`);
    const separator = fc.constantFrom(',', ';', ', ', ' ; ', ',,', ';\t');
    fc.assert(
      fc.property(
        fc.array(address, { maxLength: 20 }),
        fc.array(separator, { minLength: 20, maxLength: 20 }),
        (addresses, separators) => {
          const text = addresses.map((a, i) => (i === 0 ? a : `${separators[i]}${a}`)).join('');
          expect(parseEmailList(text, 'email')).toEqual(addresses);
        },
      ),
    );
  });
});

describe('normaliseEmailField', () => {
  it('keeps undefined (not given) and null (cleared) apart', () => {
    expect(normaliseEmailField(undefined, 'email')).toBeUndefined();
    expect(normaliseEmailField(null, 'email')).toBeNull();
  });

  it('stores an empty list as null', () => {
    expect(normaliseEmailField('', 'email')).toBeNull();
    expect(normaliseEmailField(' ; ', 'email')).toBeNull();
    expect(normaliseEmailField([], 'email')).toBeNull();
  });

  it('joins a list with ", "', () => {
    expect(normaliseEmailField('a@x.com;b@y.com', 'email')).toBe('a@x.com, b@y.com');
    expect(normaliseEmailField(['a@x.com', 'b@y.com'], 'email')).toBe('a@x.com, b@y.com');
  });

  it('validates', () => {
    expect(() => normaliseEmailField('a@x.com; nope', 'email')).toThrow(DomainError);
  });
});

describe('normalisePhoneNumber', () => {
  it.each([
    ['+44 20 7946 0000', '+442079460000'],
    ['+44 (0)20 7946-0000', '+4402079460000'],
    ['(020) 7946 0000', '02079460000'],
    ['020.7946.0000', '02079460000'],
    ['  +1 (212) 555-0100  ', '+12125550100'],
    ['999', '999'],
    ['+123', '+123'],
    ['12345678901234567', '12345678901234567'],
  ] as const)('%j is stored as %s', (input, expected) => {
    expect(normalisePhoneNumber(input, 'phoneNumber')).toBe(expected);
  });

  it.each([
    '',
    '   ',
    '+',
    '12',
    '+12',
    '123456789012345678', // 18 digits
    '+44 20 7946 000O', // letter O
    '44+20',
    '++44 20',
    '+44 20 7946 0000 ext 12',
    '020/7946/0000',
    '(+44) 20 7946 0000',
    '--()..',
  ])('rejects %j', (input) => {
    const error = domainError(() => normalisePhoneNumber(input, 'phoneNumber'));
    expect(error.code).toBe('invalid_input');
    expect(error.field).toBe('phoneNumber');
  });

  it('makes the same number typed differently compare equal', () => {
    const digitsArb = fc.stringMatching(/^\d{3,17}$/);
    const noise = fc.constantFrom('', ' ', '-', '.', '(', ')', '  ');
    fc.assert(
      fc.property(
        digitsArb,
        fc.boolean(),
        fc.array(noise, { minLength: 18, maxLength: 18 }),
        (digits, plus, seps) => {
          const typed = (plus ? '+' : '') + [...digits].map((d, i) => `${d}${seps[i]}`).join('');
          expect(normalisePhoneNumber(` ${typed} `, 'phoneNumber')).toBe((plus ? '+' : '') + digits);
        },
      ),
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+?\d{3,17}$/), (stored) => {
        expect(normalisePhoneNumber(stored, 'phoneNumber')).toBe(stored);
      }),
    );
  });
});

describe('normaliseOptionalPhone', () => {
  it('passes undefined and null through, clears a blank value and normalises the rest', () => {
    expect(normaliseOptionalPhone(undefined, 'phoneNumber')).toBeUndefined();
    expect(normaliseOptionalPhone(null, 'phoneNumber')).toBeNull();
    expect(normaliseOptionalPhone('', 'phoneNumber')).toBeNull();
    expect(normaliseOptionalPhone('   ', 'phoneNumber')).toBeNull();
    expect(normaliseOptionalPhone('+44 20 7946 0000', 'phoneNumber')).toBe('+442079460000');
    expect(() => normaliseOptionalPhone('abc', 'phoneNumber')).toThrow(DomainError);
  });
});
