// Audit entries for the command line's changes: who (the command, the operating-system user and host that
// ran it) and the unit of work that commits a change with its entry, as the console commits an action.
import { hostname, userInfo } from 'node:os';
import { type AuditChange, recordAudit } from '../audit/record.ts';
import { type Ctx, finishUnitOfWork, runInUnitOfWork } from '../context.ts';

/**
 * An audit entry made on the command line. Its actor is the system (no console user or API key is
 * involved), named by the command and by the operating-system user and host that ran it.
 */
export function cliAudit(command: string, change: Omit<AuditChange, 'actor' | 'surface'>): AuditChange {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // No entry for this user id in the system's user database (a container run with --user).
    user = process.env.USER ?? `uid ${process.getuid?.() ?? 'unknown'}`;
  }
  return {
    ...change,
    surface: 'cli',
    actor: { type: 'system', id: null, name: `ringbill ${command}, run by ${user}@${hostname()}` },
  };
}

/**
 * Runs a command's change in one unit of work with its audit entry, as the console runs an action: both
 * commit, or neither does (a change that fails records nothing; an entry that cannot be written undoes the
 * change). Work that commits batch by batch (a billing run, a call import) instead hands its entry to the
 * use case, which writes it in its first transaction.
 */
export async function audited<T>(
  ctx: Ctx,
  accountId: number,
  change: () => Promise<T>,
  entry: (result: T) => AuditChange,
): Promise<T> {
  return runInUnitOfWork(ctx.db, async (work) => {
    let result: T;
    try {
      result = await change();
    } catch (error) {
      await finishUnitOfWork(work, { commit: false });
      throw error;
    }
    await finishUnitOfWork(work, {
      commit: true,
      before: () => recordAudit(ctx, accountId, entry(result)),
    });
    return result;
  });
}
