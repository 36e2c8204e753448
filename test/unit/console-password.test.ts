// Console passwords (scrypt) and roles: a hash checks only its own password, unknown users cost the same
// work and always fail, malformed hashes fail, and roles map onto the API key levels.
import { describe, expect, it } from 'vitest';
import { checkNewPassword, hashPassword, verifyPassword } from '../../src/console-users/password.ts';
import { mayManageRole, ROLE_LEVEL } from '../../src/console-users/roles.ts';

describe('console passwords', () => {
  it('verifies the password it hashed, and no other', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(await hashPassword('correct horse battery')).not.toBe(hash); // salted
  });

  it('fails for no hash (unknown user) and for a malformed one', async () => {
    expect(await verifyPassword('anything at all', null)).toBe(false);
    expect(await verifyPassword('x', 'plain')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$99999999$8$1$AAAA$BBBB')).toBe(false);
  });

  it('asks for 10 to 200 characters', () => {
    expect(() => checkNewPassword('short')).toThrow('password: must be at least 10 characters');
    expect(() => checkNewPassword('x'.repeat(201))).toThrow('password: must be at most 200 characters');
    expect(() => checkNewPassword('long enough!')).not.toThrow();
  });
});

describe('console roles', () => {
  it('map onto the API key levels', () => {
    expect(ROLE_LEVEL).toEqual({ viewer: 1, billing: 4, admin: 5, owner: 5 });
  });
  it('let only owners manage owners', () => {
    expect(mayManageRole('owner', 'owner')).toBe(true);
    expect(mayManageRole('admin', 'owner')).toBe(false);
    expect(mayManageRole('admin', 'billing')).toBe(true);
    expect(mayManageRole('billing', 'viewer')).toBe(false);
  });
});
