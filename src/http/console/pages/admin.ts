import type { FastifyInstance } from 'fastify';
import type { ConsoleKit } from '../kit.ts';

export function adminPages(app: FastifyInstance, kit: ConsoleKit): void {
  void app;
  void kit;
}
