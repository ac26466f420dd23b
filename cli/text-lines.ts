/**
 * Lines of a file that should be text, read as a stream so that memory stays bounded whatever the input: a line
 * holding a NUL byte, invalid UTF-8, or more than MAX_LINE_BYTES bytes is counted as unreadable, not decoded.
 */

/** Far above any expression (a depth-5 expression has under 60 tokens, the paper's block is 256 tokens). */
export const MAX_LINE_BYTES = 65_536;

export type UnreadableReason = 'with NUL bytes' | 'not valid UTF-8' | `longer than ${typeof MAX_LINE_BYTES} bytes`;

export interface TextLines {
  /** Readable lines with their 1-based line numbers, "\r\n" endings stripped. */
  lines: Array<{ line: number; text: string }>;
  unreadable: Array<{ line: number; reason: UnreadableReason }>;
}

const NEWLINE = 0x0a;

/** Reads `chunks` line by line; at most MAX_LINE_BYTES of one line (plus one chunk) is held at a time. */
export async function readTextLines(chunks: AsyncIterable<Uint8Array>): Promise<TextLines> {
  const out: TextLines = { lines: [], unreadable: [] };
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let parts: Uint8Array[] = [];
  let length = 0;
  let tooLong = false;
  let line = 0;

  const append = (bytes: Uint8Array) => {
    if (tooLong || bytes.length === 0) return;
    length += bytes.length;
    if (length > MAX_LINE_BYTES) [tooLong, parts] = [true, []];
    else parts.push(bytes);
  };
  const end = () => {
    line++;
    let reason: UnreadableReason | undefined;
    if (tooLong) reason = `longer than ${MAX_LINE_BYTES} bytes`;
    else {
      const bytes = Buffer.concat(parts);
      if (bytes.includes(0)) reason = 'with NUL bytes';
      else {
        try {
          out.lines.push({ line, text: decoder.decode(bytes).replace(/\r$/, '') });
        } catch {
          reason = 'not valid UTF-8';
        }
      }
    }
    if (reason) out.unreadable.push({ line, reason });
    [parts, length, tooLong] = [[], 0, false];
  };

  for await (const chunk of chunks) {
    let from = 0;
    for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, from)) {
      append(chunk.subarray(from, at));
      end();
      from = at + 1;
    }
    // A copy (Buffer#slice would not make one): a stream may reuse its chunk's memory once we return.
    if (!tooLong) append(new Uint8Array(chunk.subarray(from)));
  }
  if (length > 0) end();
  return out;
}

/** "3 with NUL bytes, 1 not valid UTF-8": how many lines failed for each reason. */
export function describeUnreadable(unreadable: TextLines['unreadable']): string {
  const counts = new Map<UnreadableReason, number>();
  for (const { reason } of unreadable) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${reason}`).join(', ');
}
