/**
 * Splits text that arrives in chunks (a watch response) into lines. A chunk can end in
 * the middle of a line, so the unfinished end is kept for the next chunk; blank lines
 * are dropped, since the watch protocol has none to say.
 */
export class LineBuffer {
  #partial = '';

  /** The lines `chunk` completes, in order. */
  push(chunk: string): string[] {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    return lines.filter((line) => line.trim() !== '');
  }

  /** The last line, when the stream ended without a newline after it. */
  end(): string[] {
    const last = this.#partial;
    this.#partial = '';
    return last.trim() === '' ? [] : [last];
  }
}
