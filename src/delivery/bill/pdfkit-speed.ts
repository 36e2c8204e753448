// Making pdfkit 0.20 fast enough for bills of hundreds of lines (bench/pdf.ts). Three things it does per
// document, per string or per drawing operation take most of a bill's rendering time:
//
//  - every document parses the metrics of each standard font it uses again (a few thousand glyph widths
//    and kerning pairs made into objects): here the documents share one parsed copy per process;
//  - kerning is looked up with a freshly made string key for each pair of letters: here, nested maps;
//  - each drawing operation (a dozen per table cell) becomes a byte array of its own, kept until the
//    document ends: here the operations are joined and written to the page in one piece.
//
// These reach into pdfkit's internals (documented nowhere), so they are applied only when what they rely
// on is there as expected (checked once, on a scratch document); otherwise pdfkit works as it always
// does. The PDF is the same byte for byte either way, apart from its creation date and ID.
import PDFDocument from 'pdfkit';

export type FontName = 'Helvetica' | 'Helvetica-Bold' | 'Helvetica-Oblique';
export const BILL_FONTS: readonly FontName[] = ['Helvetica', 'Helvetica-Bold', 'Helvetica-Oblique'];

interface AfmMetrics {
  kernPairs: Record<string, number>;
  getKernPair(left: string, right: string): number;
}

/** pdfkit's StandardFont: one per font and document. */
interface DocumentFont {
  document: unknown;
  id: string;
  name: string;
  font: AfmMetrics;
  encode(text: string, features?: unknown): unknown;
  lineHeight(size: number, includeGap?: boolean): number;
}

interface PageInternals {
  write(chunk: string | Uint8Array): void;
}

interface DocumentInternals {
  _font: DocumentFont | null;
  _fontFamilies: Record<string, DocumentFont>;
  _fontCount: number;
  page: PageInternals | null;
  addContent(data: string | Uint8Array): unknown;
}

interface SharedFont {
  prototype: object;
  /** Everything a StandardFont's constructor sets but its document and id, metrics included. */
  fields: Record<string, unknown>;
}

let shared: Map<FontName, SharedFont> | null | undefined;

function isDocumentFont(font: unknown, name: string): font is DocumentFont {
  const f = font as Partial<DocumentFont> | null | undefined;
  return (
    typeof f === 'object' &&
    f !== null &&
    f.name === name &&
    typeof f.id === 'string' &&
    typeof f.encode === 'function' &&
    typeof f.lineHeight === 'function' &&
    typeof f.font === 'object' &&
    f.font !== null &&
    typeof f.font.kernPairs === 'object' &&
    typeof f.font.getKernPair === 'function'
  );
}

function hasInternals(doc: unknown): doc is DocumentInternals {
  const d = doc as Partial<DocumentInternals>;
  return (
    typeof d._fontFamilies === 'object' &&
    d._fontFamilies !== null &&
    typeof d._fontCount === 'number' &&
    typeof d.addContent === 'function'
  );
}

/** The kerning pairs as left glyph -> right glyph -> adjustment, looked up without making strings. */
function fastKerning(metrics: AfmMetrics): void {
  const table = new Map<string, Map<string, number>>();
  for (const [key, amount] of Object.entries(metrics.kernPairs)) {
    const [left, right] = key.split('\u0000') as [string, string];
    let row = table.get(left);
    if (!row) table.set(left, (row = new Map<string, number>()));
    row.set(right, amount);
  }
  metrics.getKernPair = (left, right) => table.get(left)?.get(right) ?? 0;
}

/** The fonts, parsed once from a scratch document; null when this pdfkit is not shaped as expected. */
function sharedFonts(): Map<FontName, SharedFont> | null {
  if (shared !== undefined) return shared;
  try {
    const probe = new PDFDocument({ autoFirstPage: false });
    if (!hasInternals(probe)) return (shared = null);
    const fonts = new Map<FontName, SharedFont>();
    for (const name of BILL_FONTS) {
      probe.font(name);
      const font = probe._font;
      if (!isDocumentFont(font, name)) return (shared = null);
      fastKerning(font.font);
      const {
        document: _document,
        id: _id,
        dictionary: _dictionary,
        embedded: _embedded,
        ...fields
      } = font as unknown as Record<string, unknown>;
      fonts.set(name, { prototype: Object.getPrototypeOf(font) as object, fields });
    }
    shared = fonts;
  } catch {
    shared = null;
  }
  return shared;
}

/** Options for a new document: with shared fonts, no default font of its own (it would be parsed again). */
export function documentOptions(): { font?: string } {
  return sharedFonts() ? { font: '' } : {};
}

/**
 * Sets a new document up (before it draws anything): the shared fonts, and drawing operations collected
 * per page. Returns the function to call before `doc.end()`, which writes what is still collected.
 */
export function speedUp(doc: PDFKit.PDFDocument): () => void {
  const fonts = sharedFonts();
  if (!fonts || !hasInternals(doc)) return () => {};
  for (const [name, font] of fonts) {
    if (doc._fontFamilies[name]) continue;
    doc._fontFamilies[name] = Object.assign(Object.create(font.prototype) as DocumentFont, font.fields, {
      document: doc,
      id: `F${++doc._fontCount}`,
    });
  }

  // page.write(s) appends s + '\n' to the page's content stream: joining with '\n' writes the same bytes.
  let page: PageInternals | null = null;
  let parts: string[] = [];
  const flush = () => {
    if (page && parts.length > 0) page.write(parts.join('\n'));
    page = null;
    parts = [];
  };
  doc.addContent = (data: string | Uint8Array) => {
    if (doc.page !== page) {
      flush();
      page = doc.page;
    }
    if (typeof data === 'string') {
      parts.push(data);
    } else {
      flush();
      doc.page?.write(data);
    }
    return doc;
  };
  return flush;
}
