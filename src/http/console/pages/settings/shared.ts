// What the settings pages share: the time format of their tables, and the settings page itself, which the
// API key post answers with (the new key is shown once, in that answer).
import type { FastifyReply } from 'fastify';
import type { PageMessages } from '../../../kit/form.ts';
import type { Me } from '../../kit.ts';

/** Renders /console/settings; `shown` is a secret shown this once (a new API key). */
export type SettingsPage = (
  reply: FastifyReply,
  m: Me,
  q: PageMessages,
  shown?: { what: string; value: string },
) => Promise<FastifyReply>;
