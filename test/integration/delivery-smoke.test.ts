import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from '../../src/email/mailer.ts';
import { makeCharge, makeCustomer, makeFeature, useHarness } from '../helpers/harness.ts';
import { pdfText } from '../helpers/pdf.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp?.close();
});

describe('bills and email (smoke)', () => {
  const h = useHarness({ mailer: () => createMailer({ smtpUrl: smtp.url, dataDir: '/tmp' }) });

  it('renders the bill and emails it through SMTP', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api, { email: 'accounts@brightdental.example' });
    const feature = await makeFeature(api, customer.id, { recurringValue: '25.00', startDate: '2026-10-15' });
    await makeCharge(api, `/features/${feature.id}`, {
      transactionValue: '49.99',
      transactionDate: '2026-10-20',
      transactionDescription: 'Handset',
    });
    const created = await api.post(`/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
    const approved = await api.post(`/invoices/${created.body.id}?action=approve`);
    expect(approved.status).toBe(200);
    const pdf = await fetch(`${h.url}/backend/api/v1/invoices/${created.body.id}`, {
      headers: { authorization: `Bearer ${api.key}`, accept: 'application/pdf' },
    });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const { text } = await pdfText(Buffer.from(await pdf.arrayBuffer()));
    expect(text).toContain('106.44');
    expect(text).toContain('88.70');
    expect(text).toContain('17.74');
    const emailed = await api.post(`/invoices/${created.body.id}?action=email`, {});
    expect(emailed.status, emailed.text).toBe(200);
    expect(emailed.body).toEqual({
      success: true,
      message: `Invoice ${approved.body.invoiceNumber} emailed to accounts@brightdental.example`,
    });
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.attachments[0]!.mimeType).toBe('application/pdf');
    expect((await pdfText(smtp.messages[0]!.attachments[0]!.content)).text).toContain('106.44');
    expect((await api.get(`/invoices/${created.body.id}`)).body.status).toEqual(['approved', 'emailed']);
  });
});
