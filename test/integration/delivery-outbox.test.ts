// Email goes through the durable outbox: a send that fails while the mail server is down is reported
// (500601), kept, retried with backoff and delivered once the server is back — by this process or by a
// new one after a restart. Without SMTP_URL, mail lands as .eml files in the data folder.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCtx } from '../../src/context.ts';
import { createMailer } from '../../src/email/mailer.ts';
import { JOB_HANDLERS } from '../../src/jobs.ts';
import { OutboxWorker, retryDelayMs } from '../../src/outbox/worker.ts';
import { expectError } from '../helpers/billing.ts';
import { billedCustomer, NOW, setUpAccount } from '../helpers/delivery.ts';
import { useHarness } from '../helpers/harness.ts';
import { pdfText } from '../helpers/pdf.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp?.close();
});

async function jobsOf(h: { ctx: { db: any } }, accountId: number) {
  return h.ctx.db
    .selectFrom('outbox')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
}

describe('retries through SMTP', () => {
  const h = useHarness({ mailer: () => createMailer({ smtpUrl: smtp.url, dataDir: '/tmp' }) });

  it('a send that fails while the server is down is retried with backoff and succeeds later', async () => {
    const { api, id } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api);
    smtp.down = true;
    const before = smtp.messages.length;
    try {
      expectError(await api.post(`/invoices/${invoice.id}?action=email`), 500, 500601, /retried/);
      // Asking again while it waits for its next attempt does not queue a second email, and does not
      // answer success either: it reports the failure it is waiting out, and when it is tried next.
      const again = await api.post(`/invoices/${invoice.id}?action=email`);
      expectError(again, 500, 500601, /stays queued; the next attempt is at /);
      expect(again.body.hint).toContain(new Date(NOW.getTime() + retryDelayMs(0)).toISOString());
      const [job] = await jobsOf(h, id);
      expect(await jobsOf(h, id)).toHaveLength(1);
      expect(job).toMatchObject({ status: 'pending', attempts: 1, kind: 'invoice_email' });
      expect(job.last_error).toMatch(/service not available|421|ECONNREFUSED|Greeting/i);
      expect(job.next_attempt_at.getTime()).toBe(NOW.getTime() + retryDelayMs(0));
      expect((await api.get(`/invoices/${invoice.id}`)).body.status).toEqual(['approved']);
      // Not due yet: nothing is attempted.
      expect(await h.outbox.runOnce()).toBe(0);
      // Due, but the server is still down: a second failure, and the wait doubles.
      h.setNow(new Date(NOW.getTime() + retryDelayMs(0)));
      expect(await h.outbox.runOnce()).toBe(1);
      const [second] = await jobsOf(h, id);
      expect(second).toMatchObject({ status: 'pending', attempts: 2 });
      expect(second.next_attempt_at.getTime()).toBe(NOW.getTime() + retryDelayMs(0) + retryDelayMs(1));
      expect(retryDelayMs(1)).toBe(2 * retryDelayMs(0));
    } finally {
      smtp.down = false;
    }
    h.setNow(new Date(NOW.getTime() + retryDelayMs(0) + retryDelayMs(1)));
    expect(await h.outbox.runOnce()).toBe(1);
    expect(smtp.messages.length).toBe(before + 1);
    const mail = smtp.messages.at(-1)!;
    expect(mail.to.sort()).toEqual(['accounts@brightdental.example', 'ap@brightdental.example']);
    expect((await pdfText(mail.attachments[0]!.content)).text).toContain('107.28');
    const [done] = await jobsOf(h, id);
    expect(done).toMatchObject({ status: 'delivered', attempts: 3, last_error: null });
    expect((await api.get(`/invoices/${invoice.id}`)).body.status).toEqual(['approved', 'emailed']);
    expect(await h.outbox.runOnce()).toBe(0);
    h.setNow(NOW);
  });

  it('survives a restart: a new process on the same database delivers what the old one queued', async () => {
    const { api, id } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api);
    smtp.down = true;
    try {
      expectError(
        await api.post(`/invoices/${invoice.id}?action=emailCdrs`, { email: 'calls@brightdental.example' }),
        500,
        500602,
      );
    } finally {
      smtp.down = false;
    }
    // The "new process": its own context, mailer and worker; only the database is shared.
    const later = new Date(NOW.getTime() + 10 * 60_000);
    const ctx = createCtx(h.testDb.database, () => later, {
      mailer: createMailer({ smtpUrl: smtp.url, dataDir: '/tmp' }),
    });
    const worker = new OutboxWorker(ctx, JOB_HANDLERS, 50);
    worker.start();
    try {
      const deadline = Date.now() + 10_000;
      while ((await jobsOf(h, id))[0].status === 'pending' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
    } finally {
      await worker.stop();
    }
    const [job] = await jobsOf(h, id);
    expect(job).toMatchObject({ status: 'delivered', attempts: 2, kind: 'cdr_email' });
    const mail = smtp.messages.find((m) => m.to.includes('calls@brightdental.example'))!;
    expect(mail.attachments[0]!.filename).toBe(`CDRs-${invoice.invoiceNumber}.csv`);
  });

  it('a refused recipient fails the job at once (no retries)', async () => {
    const { api, id } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api);
    smtp.refuse.add('gone@brightdental.example');
    try {
      expectError(
        await api.post(`/invoices/${invoice.id}?action=email`, { email: 'gone@brightdental.example' }),
        500,
        500601,
      );
    } finally {
      smtp.refuse.delete('gone@brightdental.example');
    }
    const [job] = await jobsOf(h, id);
    expect(job).toMatchObject({ status: 'failed', attempts: 1 });
    // A new request queues a new job (the failed one stays for a person to see).
    expect(
      (await api.post(`/invoices/${invoice.id}?action=email`, { email: 'ok@brightdental.example' })).status,
    ).toBe(200);
    expect((await jobsOf(h, id)).map((j: any) => j.status)).toEqual(['failed', 'delivered']);
  });
});

describe('without SMTP_URL', () => {
  const h = useHarness();

  it('writes each email as an .eml file in the data folder, attachments included', async () => {
    const { api } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api);
    const res = await api.post(`/invoices/${invoice.id}?action=email`, {
      email: ['accounts@brightdental.example'],
    });
    expect(res.status, res.text).toBe(200);
    const files = (await readdir(h.mailDir)).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(1);
    const parsed = await PostalMime.parse(await readFile(join(h.mailDir, files[0]!)));
    expect(parsed.subject).toBe(`Invoice ${invoice.invoiceNumber} from Acme Telecom Ltd`);
    expect(parsed.to?.map((t) => t.address)).toEqual(['accounts@brightdental.example']);
    expect(parsed.from?.address).toBe('billing@acme.example');
    const pdf = parsed.attachments[0]!;
    expect(pdf.mimeType).toBe('application/pdf');
    expect((await pdfText(Buffer.from(pdf.content as ArrayBuffer))).text).toContain('107.28');
    expect((await api.get(`/invoices/${invoice.id}`)).body.status).toEqual(['approved', 'emailed']);
  });
});
