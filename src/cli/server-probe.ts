// Is a Ringbill server answering on the configured port? A command about to create a new embedded database
// asks first: a server there means the command is not configured as the server is (say the server was
// started with DATABASE_URL and this terminal has none), and going ahead would put its work in a database
// nobody serves.

export interface AnsweringServer {
  /** The database it serves: "postgres" or "pglite". */
  database: string;
}

/** The address a client reaches a server listening on `host` at: a wildcard address means this machine. */
function clientHost(host: string): string {
  if (host === '0.0.0.0' || host === '' || host === '::' || host === '[::]') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export async function ringbillServerAt(
  host: string,
  port: number,
  timeoutMs = 1500,
): Promise<AnsweringServer | undefined> {
  try {
    const res = await fetch(`http://${clientHost(host)}:${port}/healthz`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { status?: unknown; database?: unknown };
    if (body.status !== 'ok' || typeof body.database !== 'string') return undefined;
    return { database: body.database };
  } catch {
    return undefined; // nothing answers there, or not Ringbill
  }
}
