// Reading a canonical path as the sequence of segments that rules compare:
// path parameters (`;...`) removed and segments left empty dropped, the way
// servers such as Tomcat route. Everything here works on indices into the
// original string so the per-request matcher allocates nothing.

const SLASH = 0x2f;
const SEMICOLON = 0x3b;
const PERCENT = 0x25;
const DOT = 0x2e;

/** True when `text` has the escape "%20" (a space) at `at`. */
function isSpaceEscape(text: string, at: number): boolean {
  return (
    text.charCodeAt(at) === PERCENT && text.charCodeAt(at + 1) === 0x32 && text.charCodeAt(at + 2) === 0x30
  );
}

/**
 * Whether the lenient reading of segment `text[start, end)` differs from the
 * literal one: it ends with "." or a space, or starts with a space.
 */
export function isLenientSensitive(text: string, start: number, end: number): boolean {
  return (
    text.charCodeAt(end - 1) === DOT ||
    (end - start >= 3 && (isSpaceEscape(text, end - 3) || isSpaceEscape(text, start)))
  );
}

/**
 * Walks the matching segments of a path or prefix. After `next()` returns true,
 * `start`/`end` delimit the segment's name (parameters excluded).
 *
 * Literal reading: the name as written. Lenient reading: also without leading
 * spaces and trailing dots and spaces, which Windows file systems (IIS) and
 * routers that trim tokens ignore, so `/admin./` or `/admin%20/` reach
 * `/admin/` there. The matcher checks both readings (see ./rules.ts).
 */
export class SegmentCursor {
  start = 0;
  end = 0;
  private text = '';
  private pos = 0;
  private lenient = false;

  reset(text: string, lenient: boolean): this {
    this.text = text;
    this.lenient = lenient;
    this.pos = 0;
    this.start = 0;
    this.end = 0;
    return this;
  }

  next(): boolean {
    const text = this.text;
    const length = text.length;
    let i = this.pos;
    while (i < length) {
      if (text.charCodeAt(i) === SLASH) {
        i++;
        continue;
      }
      let end = i;
      let nameEnd = -1;
      for (; end < length; end++) {
        const c = text.charCodeAt(end);
        if (c === SLASH) break;
        if (c === SEMICOLON && nameEnd < 0) nameEnd = end;
      }
      if (nameEnd < 0) nameEnd = end;
      let s = i;
      let e = nameEnd;
      if (this.lenient) {
        while (e - s >= 3 && isSpaceEscape(text, s)) s += 3;
        for (;;) {
          if (e > s && text.charCodeAt(e - 1) === DOT) e--;
          else if (e - s >= 3 && isSpaceEscape(text, e - 3)) e -= 3;
          else break;
        }
      }
      i = end;
      if (e > s) {
        this.start = s;
        this.end = e;
        this.pos = i;
        return true;
      }
    }
    this.pos = i;
    return false;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Compares `a[as, ae)` with `b[bs, be)` as an upstream would: escapes decoded
 * (`%3A` equals `:`), ASCII letters case-insensitively. A raw ";" never appears
 * inside a segment name, so `%3B` is only ever compared as a character.
 */
export function segmentEquals(a: string, as: number, ae: number, b: string, bs: number, be: number): boolean {
  let i = as;
  let j = bs;
  while (i < ae && j < be) {
    let x = a.charCodeAt(i++);
    if (x === PERCENT && i + 1 < ae) {
      const hi = hexValue(a.charCodeAt(i));
      const lo = hexValue(a.charCodeAt(i + 1));
      if (hi >= 0 && lo >= 0) {
        x = (hi << 4) | lo;
        i += 2;
      }
    }
    let y = b.charCodeAt(j++);
    if (y === PERCENT && j + 1 < be) {
      const hi = hexValue(b.charCodeAt(j));
      const lo = hexValue(b.charCodeAt(j + 1));
      if (hi >= 0 && lo >= 0) {
        y = (hi << 4) | lo;
        j += 2;
      }
    }
    if (x >= 0x41 && x <= 0x5a) x += 0x20;
    if (y >= 0x41 && y <= 0x5a) y += 0x20;
    if (x !== y) return false;
  }
  return i === ae && j === be;
}

/** The [start, end) pairs of every matching segment of `prefix`, flattened. */
export function segmentBounds(prefix: string, lenient: boolean): Int32Array {
  const pairs: number[] = [];
  const cursor = new SegmentCursor().reset(prefix, lenient);
  while (cursor.next()) pairs.push(cursor.start, cursor.end);
  return Int32Array.from(pairs);
}
