/**
 * JSON.parse of a body received in chunks, without ever building the body as one string.
 *
 * A string or buffer over 128 KiB is a "large object" for V8 and glibc, allocated and freed with
 * its own mmap: on the machines this runs on, decoding one 135 KB audit EventList into a string
 * cost 1.2 ms and gluing its chunks 0.3 ms, three times what JSON.parse then took. Here the
 * containers that are elements of the top-level arrays (the root array, or an array that is a
 * value of the root object, such as an EventList's `items`) are cut out of the bytes and parsed
 * one by one; the rest (the skeleton) is parsed with a placeholder in their place, then they are
 * put back. The skeleton with valid values in its placeholders' places is the body's own text,
 * so a body parses here exactly when JSON.parse accepts it, to the same value.
 */

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_OBJ = 123;
const OPEN_ARR = 91;
const CLOSE_OBJ = 125;
const CLOSE_ARR = 93;

/** Bodies smaller than this are parsed whole (one small string is the fastest way). */
const WHOLE_BELOW = 64 << 10;

/** A byte range of the body across its chunks. */
interface Span {
  chunk: number;
  offset: number;
  endChunk: number;
  endOffset: number;
}

/** The backslashes right before `at`, not counting any before `from`. */
function backslashesBefore(buf: Buffer, at: number, from: number): number {
  let k = at;
  while (k > from && buf[k - 1] === BACKSLASH) k--;
  return at - k;
}

function decode(chunks: readonly Buffer[], s: Span): string {
  if (s.chunk === s.endChunk) return chunks[s.chunk]!.toString("utf8", s.offset, s.endOffset);
  const parts: Buffer[] = [chunks[s.chunk]!.subarray(s.offset)];
  for (let c = s.chunk + 1; c < s.endChunk; c++) parts.push(chunks[c]!);
  parts.push(chunks[s.endChunk]!.subarray(0, s.endOffset));
  return Buffer.concat(parts).toString("utf8");
}

/**
 * JSON.parse(Buffer.concat(chunks).toString("utf8")): the same value, the same inputs accepted;
 * throws SyntaxError. (`wholeBelow`: tests cut small bodies too.)
 */
export function parseJsonChunks(chunks: readonly Buffer[], wholeBelow = WHOLE_BELOW): unknown {
  let total = 0;
  for (const c of chunks) total += c.length;
  if (total < wholeBelow) return JSON.parse(Buffer.concat(chunks as Buffer[], total).toString("utf8"));

  // One pass over the bytes: strings skipped (most of an audit event's bytes are in strings:
  // memchr to the next quote, then the backslashes before it say whether it ends the string),
  // containers counted.
  const items: Span[] = [];
  let depth = 0;
  let inString = false;
  /** The first byte of the next chunk is escaped (a chunk ended on an odd run of backslashes). */
  let escaped = false;
  let rootIsArray = false;
  /** Whether the container open at depth 2 is an array. */
  let arrayAt2 = false;
  let open: Span | undefined;
  for (let ci = 0; ci < chunks.length; ci++) {
    const buf = chunks[ci]!;
    const n = buf.length;
    let i = 0;
    if (escaped) {
      i = 1;
      escaped = false;
    }
    while (i < n) {
      if (inString) {
        const from = i;
        let q = buf.indexOf(QUOTE, i);
        while (q !== -1 && backslashesBefore(buf, q, from) % 2 === 1) q = buf.indexOf(QUOTE, q + 1);
        if (q === -1) {
          escaped = backslashesBefore(buf, n, from) % 2 === 1;
          break;
        }
        inString = false;
        i = q + 1;
        continue;
      }
      const c = buf[i]!;
      if (c === QUOTE) inString = true;
      else if (c === OPEN_OBJ || c === OPEN_ARR) {
        depth++;
        if (depth === 1) rootIsArray = c === OPEN_ARR;
        else if (depth === 2) arrayAt2 = c === OPEN_ARR;
        // An element container of a top-level array starts here.
        if (open === undefined && ((depth === 2 && rootIsArray) || (depth === 3 && !rootIsArray && arrayAt2)))
          open = { chunk: ci, offset: i, endChunk: ci, endOffset: i };
      } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
        if (open && ((depth === 2 && rootIsArray) || (depth === 3 && !rootIsArray && arrayAt2))) {
          open.endChunk = ci;
          open.endOffset = i + 1;
          items.push(open);
          open = undefined;
        }
        depth--;
      }
      i++;
    }
  }
  if (items.length === 0 || open !== undefined) {
    // Nothing to cut out, or unbalanced: the whole text (JSON.parse gives the error).
    return JSON.parse(Buffer.concat(chunks as Buffer[], total).toString("utf8"));
  }

  // The skeleton: the text between the cut-out items, each item a unique placeholder string.
  const random = Math.random().toString(36).slice(2);
  const nonce = `\u0000${random}:`;
  let skeleton = "";
  let from = { chunk: 0, offset: 0 };
  for (let k = 0; k < items.length; k++) {
    const it = items[k]!;
    skeleton += decode(chunks, {
      chunk: from.chunk,
      offset: from.offset,
      endChunk: it.chunk,
      endOffset: it.offset,
    });
    skeleton += `"\\u0000${random}:${k}"`;
    from = { chunk: it.endChunk, offset: it.endOffset };
  }
  const last = chunks.length - 1;
  skeleton += decode(chunks, {
    chunk: from.chunk,
    offset: from.offset,
    endChunk: last,
    endOffset: chunks[last]!.length,
  });

  const root = JSON.parse(skeleton) as unknown;
  const values = items.map((it) => JSON.parse(decode(chunks, it)) as unknown);
  let placed = 0;
  const fill = (arr: unknown[]) => {
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      if (typeof v === "string" && v.startsWith(nonce)) {
        arr[i] = values[Number(v.slice(nonce.length))];
        placed++;
      }
    }
  };
  if (Array.isArray(root)) fill(root);
  else if (root !== null && typeof root === "object")
    for (const v of Object.values(root)) if (Array.isArray(v)) fill(v);
  // Every placeholder is back in its place unless a duplicate key dropped an array (its items
  // were never part of the value JSON.parse gives either).
  if (placed !== items.length && !(root !== null && typeof root === "object" && !Array.isArray(root)))
    return JSON.parse(Buffer.concat(chunks as Buffer[], total).toString("utf8"));
  return root;
}
