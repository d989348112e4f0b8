// JSON as Python writes it: `json.dump` emits bare NaN, Infinity and -Infinity by default
// (allow_nan=True), which JSON.parse rejects. The fast path is JSON.parse; only text that fails
// it goes through json5, which accepts those tokens (and reports line and column otherwise).
import JSON5 from 'json5';

export interface JsonResult {
  value?: unknown;
  error?: { message: string; line?: number };
}

/** Text larger than this is not parsed: a state file this big is a broken writer, not data. */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;

function lineOfPosition(text: string, position: number): number {
  let line = 1;
  for (let i = 0; i < position && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

export function parsePythonJson(text: string): JsonResult {
  try {
    return { value: JSON.parse(text) };
  } catch (first) {
    if (/\b(NaN|Infinity)\b/.test(text)) {
      try {
        return { value: JSON5.parse(text) };
      } catch (err) {
        const e = err as Error & { lineNumber?: number };
        return { error: { message: e.message.replace(/^JSON5: /, ''), ...(e.lineNumber ? { line: e.lineNumber } : {}) } };
      }
    }
    const message = (first as Error).message;
    const pos = /position (\d+)/.exec(message);
    return { error: { message, ...(pos ? { line: lineOfPosition(text, Number(pos[1])) } : {}) } };
  }
}
