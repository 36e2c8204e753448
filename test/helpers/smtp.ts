// A real SMTP server on 127.0.0.1 for tests: it accepts everything (or refuses what it is told to) and
// keeps each message, parsed, attachments included.
import PostalMime from 'postal-mime';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  attachments: { filename: string; mimeType: string; content: Buffer }[];
  raw: Buffer;
}

export interface TestSmtpServer {
  url: string;
  messages: ReceivedMail[];
  /** Recipients to refuse with 550 (a permanent failure). */
  refuse: Set<string>;
  /** While set, every connection is refused (a transient failure). */
  down: boolean;
  close(): Promise<void>;
}

export async function startSmtpServer(): Promise<TestSmtpServer> {
  const state: TestSmtpServer = {
    url: '',
    messages: [],
    refuse: new Set(),
    down: false,
    close: async () => {},
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onConnect(_session, callback) {
      if (state.down)
        return callback(Object.assign(new Error('service not available'), { responseCode: 421 }));
      callback();
    },
    onRcptTo(address, _session, callback) {
      if (state.refuse.has(address.address.toLowerCase()))
        return callback(Object.assign(new Error('no such mailbox'), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        // A message that cannot be parsed is refused (the server answers the client) instead of going unhandled.
        PostalMime.parse(raw).then(
          (parsed) => {
            state.messages.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              attachments: parsed.attachments.map((a) => ({
                filename: a.filename ?? '',
                mimeType: a.mimeType,
                content: Buffer.from(a.content as ArrayBuffer),
              })),
              raw,
            });
            callback();
          },
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as { port: number };
  state.url = `smtp://127.0.0.1:${port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
