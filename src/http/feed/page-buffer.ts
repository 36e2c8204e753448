// Where a feed page is written: the UTF-8 bytes of the page, appended row by row into one Buffer that is
// sent as the answer (with its Content-Length) and then reused for the next page. A page is megabytes
// (4,000 rows of JSON: 3.2 MB): written as one string it cost a fresh string for the page, another when it
// was flattened for its byte length, and a fresh Buffer when the socket encoded it, each touching memory
// the process had not used yet; on the 2-core machine of the benchmarks that was 4 ms a megabyte, more
// than the writing itself (bench/feed.ts, README). A Buffer written once and kept is touched again for free.

/** First size of a page's buffer; it doubles while a page needs more. */
const FIRST_BYTES = 1 << 20;
/** Buffers kept for later pages: as many pages as are usually written at once, no larger than this. */
const POOL_MAX_BUFFERS = 4;
const POOL_MAX_BYTES = 16 << 20;
/** UTF-8 bytes of one UTF-16 code unit, at most (a surrogate pair: 4 bytes for 2 units). */
const MAX_BYTES_PER_UNIT = 3;

const pool: Buffer[] = [];

/** A growing byte buffer for one page; release() gives it back once the answer has been handed to the socket. */
export class PageBuffer {
  private buffer: Buffer;
  private length = 0;
  private released = false;

  private constructor(buffer: Buffer) {
    this.buffer = buffer;
  }

  /** A buffer from the pool (the largest kept), or a new one. */
  static take(): PageBuffer {
    return new PageBuffer(pool.pop() ?? Buffer.allocUnsafeSlow(FIRST_BYTES));
  }

  /** Appends the UTF-8 bytes of `text` (a lone surrogate as U+FFFD, as a socket writes a string). */
  text(text: string): void {
    const needed = this.length + MAX_BYTES_PER_UNIT * text.length;
    if (needed > this.buffer.length) this.grow(needed);
    this.length += this.buffer.write(text, this.length);
  }

  /** The page so far: a view of the buffer, valid until release(). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  /**
   * Gives the buffer back for a later page. Only once nothing reads it any more: the answer's 'finish'
   * (handed to the operating system), never while a write of it may still be pending.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    keep(this.buffer);
  }

  private grow(needed: number): void {
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const bigger = Buffer.allocUnsafeSlow(size);
    this.buffer.copy(bigger, 0, 0, this.length);
    // The smaller one was only ever written here: it may serve another page.
    keep(this.buffer);
    this.buffer = bigger;
  }
}

/** Keeps a buffer no page uses any more, if it is among the largest few (the largest last: take() pops it). */
function keep(buffer: Buffer): void {
  if (buffer.length > POOL_MAX_BYTES) return;
  if (pool.length < POOL_MAX_BUFFERS) pool.push(buffer);
  else if (buffer.length > pool[0]!.length) pool[0] = buffer;
  else return;
  pool.sort((a, b) => a.length - b.length);
}
