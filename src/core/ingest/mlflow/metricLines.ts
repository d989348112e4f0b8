// MLflow metric files: one point per line, `{timestamp} {value} {step}` (MLflow ≥ 1.0), legacy
// `{timestamp} {value}` (step 0), and MLflow 3's `{timestamp} {value} {step} {dataset} {digest}`.
// Logged-model metric files add the run id as the 4th field. FORMATS.md §1.4, §1.8.
import { parsePythonFloat } from '../../util/numbers';
import type { Series } from '../../store/seriesCodec';

export interface LineProblem {
  line: number;
  message: string;
}

export interface ParsedMetricLines {
  series: Series;
  /** Bytes consumed: up to and including the last complete line (the rest is a partial write). */
  consumed: number;
  /** Text after the last newline, when the file does not end with one. */
  partialTail: string;
  problems: LineProblem[];
  /** For logged-model files: the run id of each point, when present. */
  runIds?: (string | null)[];
}

function parseValue(text: string): number | undefined {
  if (text === '') return undefined;
  const v = Number(text);
  if (!Number.isNaN(v)) return v;
  return parsePythonFloat(text);
}

function parseInt64(text: string): number | undefined {
  if (text === '') return undefined;
  const v = Number(text);
  return Number.isInteger(v) ? v : undefined;
}

const fastResult = { ts: 0, value: 0, step: 0 };

/** Reads a non-negative decimal integer in [from, to); NaN unless it is all digits. */
function digits(text: string, from: number, to: number): number {
  if (to <= from || to - from > 15) return NaN;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return n;
}

function fastLine(text: string, start: number, end: number): typeof fastResult | undefined {
  const s1 = text.indexOf(' ', start);
  if (s1 === -1 || s1 >= end) return undefined;
  const s2 = text.indexOf(' ', s1 + 1);
  if (s2 === -1 || s2 >= end) return undefined;
  if (text.indexOf(' ', s2 + 1) !== -1 && text.indexOf(' ', s2 + 1) < end) return undefined;
  const ts = digits(text, start, s1);
  const negative = text.charCodeAt(s2 + 1) === 45; // '-'
  const stepAbs = digits(text, negative ? s2 + 2 : s2 + 1, end);
  if (Number.isNaN(ts) || Number.isNaN(stepAbs) || s2 === s1 + 1) return undefined;
  const value = Number(text.slice(s1 + 1, s2));
  if (Number.isNaN(value)) return undefined; // nan, inf and errors: the general path decides
  fastResult.ts = ts;
  fastResult.value = value;
  fastResult.step = negative ? -stepAbs : stepAbs;
  return fastResult;
}

/**
 * Parses metric lines. `firstLine` numbers the lines when reading from an offset; a final line
 * without a newline is left unconsumed (it may be half-written) and returned as partialTail.
 */
export function parseMetricLines(text: string, firstLine = 1, options: { modelFile?: boolean } = {}): ParsedMetricLines {
  const steps: number[] = [];
  const times: number[] = [];
  const values: number[] = [];
  const problems: LineProblem[] = [];
  const runIds: (string | null)[] | undefined = options.modelFile ? [] : undefined;
  let start = 0;
  let lineNo = firstLine;
  let consumed = 0;
  const len = text.length;
  while (start < len) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) break;
    let end = nl;
    if (end > start && text.charCodeAt(end - 1) === 13) end--; // CRLF
    // Fast path for the common `{ts} {value} {step}` line: integers read from char codes, one
    // Number() for the value. Anything unusual takes the general path below.
    const fast = options.modelFile ? undefined : fastLine(text, start, end);
    if (fast) {
      times.push(fast.ts);
      values.push(fast.value);
      steps.push(fast.step);
    } else if (end > start) {
      const fields = text.slice(start, end).split(' ');
      const n = fields.length;
      const valid = options.modelFile ? n >= 3 && n <= 6 : n === 2 || n === 3 || n === 5;
      if (!valid) {
        problems.push({
          line: lineNo,
          message: `expected "timestamp value step" (3 fields, or 2 or 5), found ${n} field${n === 1 ? '' : 's'}`,
        });
      } else {
        const ts = parseInt64(fields[0]!);
        const value = parseValue(fields[1]!);
        const step = n >= 3 ? parseInt64(fields[2]!) : 0;
        if (ts === undefined) problems.push({ line: lineNo, message: `timestamp "${fields[0]}" is not an integer` });
        else if (value === undefined) problems.push({ line: lineNo, message: `value "${fields[1]}" is not a number` });
        else if (step === undefined) problems.push({ line: lineNo, message: `step "${fields[2]}" is not an integer` });
        else {
          times.push(ts);
          values.push(value);
          steps.push(step);
          if (runIds) runIds.push(n >= 4 && /^[0-9a-f]{32}$/.test(fields[3]!) ? fields[3]! : null);
        }
      }
    }
    lineNo++;
    start = nl + 1;
    consumed = start;
  }
  const partialTail = text.slice(consumed);
  const result: ParsedMetricLines = { series: { steps, times, values }, consumed, partialTail, problems };
  if (runIds) result.runIds = runIds;
  return result;
}
