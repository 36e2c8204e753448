// The page a bill is being written on: text measured once per string and font, wrapped by hand, and
// drawn a line at a time (see render.ts for why). Helvetica only has the characters of Western European
// languages (WinAnsi); a string with any other (a Polish, Czech, Greek or Cyrillic name, a ₹) is set in
// DejaVu Sans instead, embedded only in bills that need it. Scripts DejaVu Sans lacks (Chinese, Japanese,
// emoji) still print as missing glyphs.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FontName } from './pdfkit-speed.ts';

export const MARGIN = 48;
/** Room kept at the foot of every page for the footer line. */
export const FOOTER = 30;

/** Characters the standard fonts can print: Latin-1 and the extra letters of Windows-1252. */
const NOT_WIN_ANSI = /[^\t\n\x20-\x7e\xa0-\xff€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]/;

let unicodeFontDir: string | undefined;
/** The DejaVu Sans face standing in for a Helvetica face. */
function unicodeFont(name: FontName): string {
  unicodeFontDir ??= join(
    dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')),
    'ttf',
  );
  const file =
    name === 'Helvetica-Bold'
      ? 'DejaVuSans-Bold.ttf'
      : name === 'Helvetica-Oblique'
        ? 'DejaVuSans-Oblique.ttf'
        : 'DejaVuSans.ttf';
  return join(unicodeFontDir, file);
}

/** pdfkit's internal single-line text drawing (what text() ends in after measuring and wrapping). */
interface FragmentDrawing {
  _fragment(text: string, x: number, y: number, options: { textWidth: number; wordCount: number }): void;
}

/**
 * The page being written, with text measured once per string and font (per bill: a long-running server
 * keeps no cache between bills).
 */
export class Writer {
  readonly doc: PDFKit.PDFDocument;
  readonly width: number;
  private fontName: FontName = 'Helvetica';
  private size = 9;
  /** Widths at 1 point, by font and string. */
  private readonly widths = new Map<FontName, Map<string, number>>();
  private fontWidths = new Map<string, number>();
  /** Texts only the DejaVu Sans stand-in can print. */
  private readonly unicodeTexts = new Set<string>();

  constructor(doc: PDFKit.PDFDocument) {
    this.doc = doc;
    this.width = doc.page.width - 2 * MARGIN;
  }

  get bottom(): number {
    return this.doc.page.height - MARGIN - FOOTER;
  }

  font(name: FontName, size: number): this {
    this.fontName = name;
    this.size = size;
    let widths = this.widths.get(name);
    if (!widths) this.widths.set(name, (widths = new Map<string, number>()));
    this.fontWidths = widths;
    this.doc.font(name).fontSize(size);
    return this;
  }

  /** Height of one line of text in the current font, gap included (what pdfkit advances by). */
  get lineHeight(): number {
    return this.doc.currentLineHeight(true);
  }

  measure(text: string): number {
    let perPoint = this.fontWidths.get(text);
    if (perPoint === undefined) {
      if (NOT_WIN_ANSI.test(text)) {
        this.unicodeTexts.add(text);
        this.useUnicodeFont(true);
        perPoint = this.doc.widthOfString(text) / this.size;
        this.useUnicodeFont(false);
      } else {
        perPoint = this.doc.widthOfString(text) / this.size;
      }
      this.fontWidths.set(text, perPoint);
    }
    return perPoint * this.size;
  }

  /** Switches to the DejaVu Sans stand-in of the current face, or back. */
  private useUnicodeFont(on: boolean): void {
    this.doc.font(on ? unicodeFont(this.fontName) : this.fontName).fontSize(this.size);
  }

  /** Greedy word wrap to `width`; a word longer than a line is broken between characters. */
  wrap(text: string, width: number): string[] {
    const out: string[] = [];
    for (const paragraph of text.split('\n')) {
      if (this.measure(paragraph) <= width) {
        out.push(paragraph);
        continue;
      }
      let line = '';
      for (const word of paragraph.split(/\s+/).filter(Boolean)) {
        const candidate = line === '' ? word : `${line} ${word}`;
        if (this.measure(candidate) <= width) {
          line = candidate;
          continue;
        }
        if (line !== '') out.push(line);
        line = word;
        while (this.measure(line) > width && line.length > 1) {
          let cut = line.length - 1;
          while (cut > 1 && this.measure(line.slice(0, cut)) > width) cut--;
          out.push(line.slice(0, cut));
          line = line.slice(cut);
        }
      }
      out.push(line);
    }
    return out;
  }

  /** One line of text, no wrapping, its left edge at x (or its right edge at x + width when right-aligned). */
  line(text: string, x: number, y: number, width: number, align: 'left' | 'right' = 'left'): void {
    if (text === '') return;
    const textWidth = this.measure(text);
    const left = align === 'right' ? x + width - textWidth : x;
    const doc = this.doc as PDFKit.PDFDocument & Partial<FragmentDrawing>;
    // measure() saw the text first and noted whether it needs the stand-in face.
    const unicode = this.unicodeTexts.size > 0 && this.unicodeTexts.has(text);
    if (unicode) this.useUnicodeFont(true);
    if (typeof doc._fragment === 'function') {
      // What text(s, x, y, { lineBreak: false }) ends in, without measuring the string twice more.
      doc._fragment(text, left, y, { textWidth, wordCount: 1 });
    } else {
      doc.text(text, left, y, { lineBreak: false });
    }
    if (unicode) this.useUnicodeFont(false);
  }

  /** A block of wrapped text across the page; returns where it ended. */
  paragraph(text: string, x: number, y: number, width: number, align: 'left' | 'right' = 'left'): number {
    const lh = this.lineHeight;
    for (const l of this.wrap(text, width)) {
      if (y + lh > this.bottom) {
        this.newPage();
        y = MARGIN;
      }
      this.line(l, x, y, width, align);
      y += lh;
    }
    this.doc.y = y;
    return y;
  }

  newPage(): void {
    this.doc.addPage();
    this.doc.y = MARGIN;
    this.doc.font(this.fontName).fontSize(this.size);
  }

  /** Starts a new page unless `height` fits above the footer. */
  ensure(height: number): void {
    if (this.doc.y + height > this.bottom) this.newPage();
  }

  heading(text: string): void {
    this.font('Helvetica-Bold', 11);
    this.doc.fillColor('black');
    this.line(text, MARGIN, this.doc.y, this.width);
    this.doc.y += this.lineHeight + 3;
  }
}
