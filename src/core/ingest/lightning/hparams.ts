// Lightning's hparams.yaml as params. Lightning saves it with OmegaConf, or with PyYAML's plain
// `yaml.dump` (FORMATS.md §0, §4.1), so it may hold `!!python/object:…`, `!!python/tuple`,
// `!!binary`, `!!set`, anchors and aliases: nothing here may throw. Nested mappings are
// flattened with '/' as Lightning's TensorBoardLogger does for the HParams plugin
// (`model/lr`); values keep their YAML text (`5.0e-05`, not 0.00005); Python objects, which
// cannot be read back without Python, are shown by their class, as `<module.Class>`.
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import type { Diagnostic } from '../types';

const PYTHON_TAG = 'tag:yaml.org,2002:python/';
const BINARY_TAG = 'tag:yaml.org,2002:binary';
const SET_TAG = 'tag:yaml.org,2002:set';
const MAX_PARAMS = 1000;
const MAX_VALUE = 1000;
const MAX_FLATTEN_DEPTH = 6;

function clip(text: string): string {
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** `!!python/object:pkg.Cls` → `pkg.Cls`; `!!python/tuple` → `tuple`. */
function pythonName(tag: string): string {
  const rest = tag.slice(PYTHON_TAG.length);
  const colon = rest.indexOf(':');
  return colon >= 0 ? rest.slice(colon + 1) : rest;
}

class Renderer {
  constructor(private readonly doc: Document) {}

  private resolve(node: unknown, depth: number): unknown {
    let n = node;
    for (let i = 0; i < 8 && isAlias(n); i++) n = n.resolve(this.doc);
    return depth > 32 ? undefined : n;
  }

  /** A compact, readable text for any node. */
  render(node: unknown, depth = 0): string {
    const n = this.resolve(node, depth);
    if (n === undefined || n === null) return 'null';
    if (isScalar(n)) {
      const tag = n.tag ?? '';
      if (tag === BINARY_TAG) return '<binary>';
      if (tag.startsWith(PYTHON_TAG)) {
        // !!python/name:numpy.ndarray '' names a class or function.
        return tag.includes('/name:') ? pythonName(tag) : `<${pythonName(tag)}>`;
      }
      const plain = n.type === 'PLAIN' && typeof n.source === 'string' ? n.source : undefined;
      if (plain !== undefined && plain !== '') return plain;
      const v = n.value;
      return v === null || v === undefined ? 'null' : typeof v === 'string' ? v : String(v);
    }
    const tag = (n as { tag?: string }).tag ?? '';
    if (isSeq(n)) {
      if (tag.startsWith(PYTHON_TAG) && tag !== `${PYTHON_TAG}tuple`) return `<${pythonName(tag)}>`;
      const items = n.items.map((x) => this.render(x, depth + 1));
      return tag === `${PYTHON_TAG}tuple` ? `(${items.join(', ')}${items.length === 1 ? ',' : ''})` : `[${items.join(', ')}]`;
    }
    if (isMap(n)) {
      if (tag.startsWith(PYTHON_TAG)) return `<${pythonName(tag)}>`;
      if (tag === SET_TAG) return `{${n.items.map((p) => this.render(p.key, depth + 1)).join(', ')}}`;
      return `{${n.items.map((p) => `${this.render(p.key, depth + 1)}: ${this.render(p.value, depth + 1)}`).join(', ')}}`;
    }
    return String(n);
  }

  /** Plain mappings are flattened into `a/b` keys; everything else becomes one value. */
  flatten(node: unknown, prefix: string, depth: number, out: Record<string, string>): void {
    const n = this.resolve(node, depth);
    if (!isMap(n)) return;
    for (const pair of n.items) {
      if (Object.keys(out).length >= MAX_PARAMS) return;
      if (!isPair(pair)) continue;
      const key = prefix + this.render(pair.key, depth + 1);
      const value = this.resolve(pair.value, depth + 1);
      const tag = (value as { tag?: string } | null)?.tag ?? '';
      if (isMap(value) && value.items.length > 0 && !tag.startsWith(PYTHON_TAG) && tag !== SET_TAG && depth < MAX_FLATTEN_DEPTH) {
        this.flatten(value, `${key}/`, depth + 1, out);
      } else {
        out[key] = clip(this.render(value as Node | null, depth + 1));
      }
    }
  }
}

// `key: &id !!python/object:pkg.Cls` (or `- !!python/object/apply:…`) opening a block: the block is
// the object's pickled state, which is shown as `<pkg.Cls>` anyway.
const PYTHON_OBJECT_LINE = /^( *)((?:- )*)(?:([^\s#'"][^#]*?|'[^']*'): )?(&\S+ )?!!python\/(?:object|object\/apply|object\/new):(\S+)\s*$/;

/**
 * Replaces the blocks under Python object tags by a scalar naming the class. pytorch-forecasting
 * dumps 45 KB of encoder state into hparams.yaml; parsing it takes ~10× longer than the params
 * need. Anchors on the tagged line are kept, and a block defining an anchor that some alias uses
 * is kept (its own nested objects are still pruned).
 */
export function prunePythonObjects(text: string): string {
  if (!text.includes('!!python/object')) return text;
  const aliased = new Set<string>();
  for (const m of text.matchAll(/\*([^\s,\]}]+)/g)) aliased.add(m[1]!);
  const definesAliasedAnchor = (line: string): boolean => {
    for (const m of line.matchAll(/&([^\s,\]}]+)/g)) if (aliased.has(m[1]!)) return true;
    return false;
  };
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = PYTHON_OBJECT_LINE.exec(line.endsWith('\r') ? line.slice(0, -1) : line);
    if (!m) {
      out.push(line);
      continue;
    }
    const indent = m[1]!.length + m[2]!.length;
    const isKey = m[3] !== undefined;
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.trim() === '') continue;
      const ind = l.length - l.trimStart().length;
      // PyYAML writes a key's sequence at the key's own indentation ("indentless").
      if (ind > indent || (isKey && ind === indent && l.trimStart().startsWith('- '))) continue;
      break;
    }
    if (lines.slice(i + 1, j).some(definesAliasedAnchor)) {
      out.push(line);
      continue;
    }
    out.push(`${m[1]}${m[2]}${isKey ? `${m[3]}: ` : ''}${m[4] ?? ''}'<${m[5]!.replace(/'/g, "''")}>'`);
    i = j - 1;
  }
  return out.join('\n');
}

function parse(text: string): Document {
  // Warnings (unresolved Python tags) are expected; pretty error text is not needed.
  return parseDocument(text, { uniqueKeys: false, prettyErrors: false });
}

/**
 * Reads hparams.yaml text into flat params. A syntax error gives a diagnostic (with its line)
 * and undefined; unknown Python tags are fine.
 */
export function paramsFromYaml(text: string, file: string, diags: Diagnostic[]): Record<string, string> | undefined {
  let doc: Document;
  try {
    const pruned = prunePythonObjects(text);
    doc = parse(pruned);
    if (pruned !== text && doc.errors.length > 0) doc = parse(text);
  } catch (err) {
    diags.push({ severity: 'error', file, message: `invalid YAML: ${(err as Error).message}` });
    return undefined;
  }
  const error = doc.errors[0];
  if (error) {
    const line = lineOf(text, error.pos[0]);
    diags.push({ severity: 'error', file, line, message: `invalid YAML: ${error.message.split('\n')[0]}` });
    return undefined;
  }
  const out: Record<string, string> = {};
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return out;
  if (!isMap(root)) {
    diags.push({ severity: 'error', file, message: 'expected a mapping of hyperparameter names to values' });
    return undefined;
  }
  new Renderer(doc).flatten(root, '', 0, out);
  if (Object.keys(out).length >= MAX_PARAMS) {
    diags.push({ severity: 'info', file, message: `more than ${MAX_PARAMS} hyperparameters; the rest are not shown` });
  }
  return out;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
