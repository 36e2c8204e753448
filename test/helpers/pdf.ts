import { extractText, getDocumentProxy } from 'unpdf';

/** The text of a PDF, all pages joined, read back with pdf.js. */
export async function pdfText(pdf: Buffer | Uint8Array): Promise<{ text: string; pages: number }> {
  const doc = await getDocumentProxy(new Uint8Array(pdf));
  const { totalPages, text } = await extractText(doc, { mergePages: true });
  return { text: text, pages: totalPages };
}
