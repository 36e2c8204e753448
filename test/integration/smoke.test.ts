import { describe, expect, it } from 'vitest';
import { makeCustomer, useHarness } from '../helpers/harness.ts';

describe('smoke', () => {
  const h = useHarness();
  it('creates a customer', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    expect(customer.name).toBe('Bright Dental Ltd');
  });
});
