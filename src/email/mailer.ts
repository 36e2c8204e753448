// Sending email. With SMTP_URL (smtp://user:pass@host:587, smtps://… for TLS) mail goes to that server;
// without it, each message is written as an .eml file to the data folder's mail/ directory, so a fresh
// install works and a user can open what would have been sent.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';

export interface MailAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
}

export interface OutgoingMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html?: string;
  attachments: MailAttachment[];
}

export interface SentMail {
  messageId: string;
  accepted: string[];
  rejected: string[];
  /** Where a file transport wrote it. */
  path?: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<SentMail>;
  /** For logs and the README: where mail goes. */
  readonly description: string;
}

/** An SMTP answer that retrying will not change (5xx: refused recipient, rejected message). */
export function isPermanentMailError(error: unknown): boolean {
  const code = (error as { responseCode?: number } | undefined)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

export function createMailer(options: { smtpUrl?: string | undefined; dataDir: string }): Mailer {
  if (options.smtpUrl) {
    const transport = nodemailer.createTransport(options.smtpUrl);
    const where = new URL(options.smtpUrl);
    return {
      description: `SMTP ${where.hostname}:${where.port || (where.protocol === 'smtps:' ? 465 : 587)}`,
      async send(mail) {
        const info = await transport.sendMail({ ...mail, attachments: mail.attachments });
        return {
          messageId: info.messageId,
          accepted: (info.accepted as (string | { address: string })[]).map(addressOf),
          rejected: (info.rejected as (string | { address: string })[]).map(addressOf),
        };
      },
    };
  }
  const folder = join(options.dataDir, 'mail');
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    description: `.eml files in ${folder}`,
    async send(mail) {
      const info = await transport.sendMail({ ...mail, attachments: mail.attachments });
      await mkdir(folder, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${info.messageId.replace(/^<|>$/g, '').replace(/[^\w.-]+/g, '-')}.eml`;
      const path = join(folder, name);
      await writeFile(path, info.message as Buffer);
      return { messageId: info.messageId, accepted: mail.to, rejected: [], path };
    },
  };
}

function addressOf(a: string | { address: string }): string {
  return typeof a === 'string' ? a : a.address;
}
