// Summarises a V8 `.cpuprofile` (written by `node --cpu-prof`): where the time went, by function.
import * as fs from 'node:fs';
import * as path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileEntry {
  /** `name (file:line)`, paths relative to the project. */
  fn: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Time spent in the function's own code. */
  self: ProfileEntry[];
  /** Time with the function anywhere on the stack (each sample counted once per function). */
  inclusive: ProfileEntry[];
  /** Self time grouped by where the code lives (project file, node internals, sql.js, GC …). */
  byArea: ProfileEntry[];
}

const sourceLines = new Map<string, string[]>();

/**
 * The line where a project function is defined. Profiles of code run through tsx carry the
 * transformed code's positions, so the definition is looked up by name in the source instead.
 */
function definitionLine(file: string, name: string): number | undefined {
  let lines = sourceLines.get(file);
  if (!lines) {
    try {
      lines = fs.readFileSync(file, 'utf8').split('\n');
    } catch {
      lines = [];
    }
    sourceLines.set(file, lines);
  }
  const bare = name.split('.').pop()!.replace(/^(get|set) /, '');
  if (!/^[\w$]+$/.test(bare)) return undefined;
  const def = new RegExp(
    `(function\\*?\\s+${bare}\\s*[<(])|(^\\s*(?:(?:export|private|public|protected|static|async|readonly|get|set)\\s+)*${bare}\\s*[<(])|(\\b${bare}\\s*=\\s*(?:async\\s*)?(?:\\(|function|[\\w$]+\\s*=>))|(^\\s*${bare}:\\s*(?:async\\s*)?\\()`,
  );
  const i = lines.findIndex((l) => def.test(l));
  return i >= 0 ? i + 1 : undefined;
}

function label(node: ProfileNode, projectRoot: string): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return name;
  const file = url.replace(/^file:\/\//, '');
  if (file.startsWith(projectRoot) && !file.includes('/node_modules/')) {
    const line = functionName ? definitionLine(file, functionName) : undefined;
    return `${name} (${path.relative(projectRoot, file)}${line ? `:${line}` : ''})`;
  }
  return `${name} (${file.startsWith(projectRoot) ? path.relative(projectRoot, file) : file}:${lineNumber + 1})`;
}

function area(node: ProfileNode, projectRoot: string): string {
  const { functionName, url } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : `native: ${functionName || '(anonymous)'}`;
  if (url.startsWith('wasm://')) return 'sql.js WebAssembly (SQLite)';
  if (url.startsWith('node:')) return `node internals (${url.replace(/^node:/, '').split('/')[0]})`;
  const file = url.replace(/^file:\/\//, '');
  if (file.includes('/node_modules/')) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    return `node_modules/${m?.[1] ?? '?'}`;
  }
  if (file.startsWith(projectRoot)) return path.relative(projectRoot, file);
  return file;
}

function top(map: Map<string, number>, totalMs: number, n: number): ProfileEntry[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([fn, us]) => ({ fn, ms: Math.round(us / 100) / 10, pct: Math.round((us / 1000 / totalMs) * 1000) / 10 }));
}

export function summarizeCpuProfile(file: string, projectRoot: string, n = 25): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const c of node.children ?? []) parent.set(c, node.id);
  }
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  const labels = new Map<number, string>();
  const labelOf = (id: number): string => {
    let l = labels.get(id);
    if (l === undefined) {
      l = label(byId.get(id)!, projectRoot);
      labels.set(id, l);
    }
    return l;
  };
  let totalUs = 0;
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i]!;
    // timeDeltas[i] is the time since the previous sample: charge it to this sample's stack.
    const us = Math.max(0, deltas[i] ?? 0);
    totalUs += us;
    const node = byId.get(id);
    if (!node) continue;
    const l = labelOf(id);
    self.set(l, (self.get(l) ?? 0) + us);
    const a = area(node, projectRoot);
    areas.set(a, (areas.get(a) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cl = labelOf(cur);
      if (seen.has(cl)) continue;
      seen.add(cl);
      inclusive.set(cl, (inclusive.get(cl) ?? 0) + us);
    }
  }
  const totalMs = totalUs / 1000;
  return {
    file,
    totalMs: Math.round(totalMs),
    self: top(self, totalMs, n),
    inclusive: top(inclusive, totalMs, n),
    byArea: top(areas, totalMs, n),
  };
}

export function formatProfile(s: ProfileSummary, n = 15): string {
  const rows = (title: string, entries: ProfileEntry[]): string =>
    `  ${title}\n` +
    entries
      .slice(0, n)
      .map((e) => `    ${e.ms.toFixed(0).padStart(8)} ms ${e.pct.toFixed(1).padStart(5)} %  ${e.fn}`)
      .join('\n');
  return [
    `profile ${s.file} (${s.totalMs} ms sampled)`,
    rows('self time by area', s.byArea),
    rows('self time by function', s.self),
    rows('inclusive time by function', s.inclusive),
  ].join('\n');
}
