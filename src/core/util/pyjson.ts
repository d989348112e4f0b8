// JSON as Python writes it: `json.dump` emits bare NaN, Infinity and -Infinity by default
// (allow_nan=True), which JSON.parse rejects. Those tokens are rewritten outside strings into
// marker strings, parsed by JSON.parse (fast on big files, unlike a JavaScript JSON5 parser:
// 10 s for 50 MB), and turned back into numbers by the reviver.

export interface JsonResult {
  value?: unknown;
  error?: { message: string; line?: number };
}

const NAN = '\u0000NaN';
const POS_INF = '\u0000+Inf';
const NEG_INF = '\u0000-Inf';

function lineOfPosition(text: string, position: number): number {
  let line = 1;
  for (let i = 0; i < position && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Replaces bare NaN / Infinity / -Infinity tokens (outside strings) by marker strings. */
function markNonFinite(text: string): string {
  const parts: string[] = [];
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 78 && text.startsWith('NaN', i)) {
      parts.push(text.slice(last, i), JSON.stringify(NAN));
      i += 2;
      last = i + 1;
    } else if (c === 73 && text.startsWith('Infinity', i)) {
      const negative = i > 0 && text.charCodeAt(i - 1) === 45;
      parts.push(text.slice(last, negative ? i - 1 : i), JSON.stringify(negative ? NEG_INF : POS_INF));
      i += 7;
      last = i + 1;
    }
  }
  parts.push(text.slice(last));
  return parts.join('');
}

function revive(_key: string, value: unknown): unknown {
  if (typeof value !== 'string' || value.charCodeAt(0) !== 0) return value;
  return value === NAN ? NaN : value === POS_INF ? Infinity : value === NEG_INF ? -Infinity : value;
}

export function parsePythonJson(text: string): JsonResult {
  try {
    return { value: JSON.parse(text) };
  } catch (first) {
    if (/NaN|Infinity/.test(text)) {
      try {
        return { value: JSON.parse(markNonFinite(text), revive) };
      } catch {
        // report the error of the original text below
      }
    }
    const message = (first as Error).message;
    const pos = /position (\d+)/.exec(message);
    return { error: { message, ...(pos ? { line: lineOfPosition(text, Number(pos[1])) } : {}) } };
  }
}
