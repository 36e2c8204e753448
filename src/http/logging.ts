// The server's log: pino (through Fastify), one JSON line per event, with every credential taken out.
// Credentials reach a server in URLs (the feed's `oauth_token` parameter, payment-page, download-link and
// portal sign-in tokens in the path) and in headers (Authorization, Cookie). Two layers keep them out:
//   - the serializers log a request's URL with them replaced, and never its headers (pino's redact covers
//     the headers of anything that logs them anyway);
//   - every line is passed through redactSecrets() on its way out, so a credential inside an error message,
//     a stack or a message text (a URL quoted in an error) is replaced too.
import type { FastifyRequest, FastifyServerOptions } from 'fastify';

export const REDACTED = '[redacted]';

/**
 * Path prefixes whose next segment is a credential (a bearer token for whoever holds the URL): payment
 * links, download links, portal sign-in links, the console's set-up and password-reset links.
 */
export const SECRET_PATH_PREFIXES = [
  '/pay/',
  '/download/invoice/',
  '/portal/sign-in/',
  '/console/password/',
] as const;

/**
 * Query parameter names whose value is a credential: oauth_token (the feed), and any name that says token,
 * key, secret, password, signature, session, credential or auth (api_key, access_token, sig, …).
 */
const SECRET_PARAMETER = /token|key|secret|passw|pwd|sig|session|credential|auth|code/i;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// In any text: a secret path segment after its prefix (up to the next /, ?, #, quote, space, or escape of
// the JSON line); a secret query parameter's value; an API key or webhook secret by its prefix; a bearer
// or basic credential; the password of a URL (postgres://user:password@host, smtp://…).
const PATH_SECRET = new RegExp(
  `(${SECRET_PATH_PREFIXES.map(escapeRegExp).join('|')})[^/?#\\s"'<>\\\\]+`,
  'g',
);
const QUERY_SECRET =
  /([?&;][^=&#\s"'\\]*(?:token|key|secret|passw|pwd|sig|session|credential|auth|code)[^=&#\s"'\\]*=)[^&#\s"'\\]*/gi;
const KEY_LIKE = /\b(rb_|whsec_)[A-Za-z0-9_-]{8,}/g;
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/"'\\]+:)[^\s@/"'\\]+@/gi;
const AUTH_SCHEME = /\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9._~+/=-]{16,}/g;

/** The text with every credential it may hold replaced by [redacted]. */
export function redactSecrets(text: string): string {
  return text
    .replace(PATH_SECRET, `$1${REDACTED}`)
    .replace(QUERY_SECRET, `$1${REDACTED}`)
    .replace(KEY_LIKE, `$1${REDACTED}`)
    .replace(AUTH_SCHEME, `$1$2${REDACTED}`)
    .replace(URL_PASSWORD, `$1${REDACTED}@`);
}

/** A request URL (path and query) as it may be logged: secret path segments and parameter values replaced. */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  let safePath = path;
  for (const prefix of SECRET_PATH_PREFIXES) {
    if (path.startsWith(prefix) && path.length > prefix.length) {
      const end = path.indexOf('/', prefix.length);
      safePath = `${prefix}${REDACTED}${end === -1 ? '' : path.slice(end)}`;
      break;
    }
  }
  if (queryAt === -1) return safePath;
  const query = url
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // a malformed escape: judge the name as written
      }
      return eq !== -1 && SECRET_PARAMETER.test(decoded) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
  return `${safePath}?${query}`;
}

/** Where log lines go: standard output, each line redacted on its way. */
const redactingStdout = {
  write(line: string): void {
    process.stdout.write(redactSecrets(line));
  },
};

/** The logger options of a server that logs at `level`: pino, redacted. */
export function serverLoggerOptions(
  level: string,
): Exclude<FastifyServerOptions['logger'], boolean | undefined> {
  return {
    level,
    stream: redactingStdout,
    serializers: {
      // As Fastify's own, with the URL redacted and the address as the proxy settings see it (request.ip
      // is the client's address behind a trusted proxy: TRUST_PROXY).
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactUrl(request.url),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
    },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-api-key"]',
        'headers.authorization',
        'headers.cookie',
        'res.headers["set-cookie"]',
        'request.headers.authorization',
        'request.headers.cookie',
      ],
      censor: REDACTED,
    },
  };
}
