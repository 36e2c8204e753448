// Output schema atoms shared by the wire views of every surface (and the CLI, which prints some of them).
import { z } from 'zod';

export const amount = z.string().meta({ description: 'A decimal amount as a string', example: '12.50' });
export const idString = z.string().meta({ description: 'Identifier', example: '42' });

export const postalAddressOut = z.object({
  line1: z.string().nullish(),
  line2: z.string().nullish(),
  city: z.string().nullish(),
  region: z.string().nullish(),
  postcode: z.string().nullish(),
  country: z.string().nullish(),
});
