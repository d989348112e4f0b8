// Promotion policy, `.mlcycle/policy.yaml`: the gates a version must pass to enter a stage.
//
//   production:
//     metrics:                      # thresholds on the version's metrics (last values)
//       accuracy: { min: 0.85 }
//       val_loss: { max: 0.3 }
//     beat_production: accuracy    # must beat the current production version (direction inferred,
//                                  # or { metric: accuracy, direction: max, margin: 0.01 })
//     package_verified: true       # a built and verified deployment package
//     git_clean: true              # no uncommitted changes to tracked files
//     reason: true                 # a reason must be given
//   decommissioned:
//     reason: true
//   git_tags: local                 # off (default) | local | push: registry actions written as
//                                   # GTO git tags (gitTags.ts); a team setting, so it lives here
//
// A refused promotion names every failed gate with its numbers.
import * as fs from 'node:fs';
import { inferDirection } from '../compare/compare';
import type { Diagnostic } from '../ingest/types';
import { formatNumber } from '../util/numbers';
import { isMapping, parseYamlText, type YamlValue } from '../util/yamlFlat';
import type { Direction } from '../../shared/compareProtocol';
import { GIT_TAGS_MODES, isGitTagsMode, type GitTagsMode } from './gitTags';
import { isStage, type Stage } from './names';

export interface StagePolicy {
  metrics: { metric: string; min?: number; max?: number }[];
  beatProduction: { metric: string; direction: Direction; margin: number }[];
  packageVerified: boolean;
  gitClean: boolean;
  reason: boolean;
}

export type Policy = Partial<Record<Stage, StagePolicy>>;

export interface GateResult {
  gate: string;
  ok: boolean;
  detail: string;
}

function emptyStage(): StagePolicy {
  return { metrics: [], beatProduction: [], packageVerified: false, gitClean: false, reason: false };
}

export interface PolicyRead {
  policy: Policy;
  diagnostics: Diagnostic[];
  /** `git_tags`, when the file sets it to a valid mode. */
  gitTags?: GitTagsMode;
}

/** Reads the policy; a missing file is an empty policy, a broken one a diagnostic (and no gates lost silently: it refuses). */
export function readPolicy(file: string): PolicyRead {
  const diagnostics: Diagnostic[] = [];
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { policy: {}, diagnostics };
  }
  const { value, error } = parseYamlText(text);
  if (error) {
    diagnostics.push({ severity: 'error', file, ...(error.line ? { line: error.line } : {}), message: `invalid policy: ${error.message}` });
    return { policy: {}, diagnostics };
  }
  const policy: Policy = {};
  if (value === null || value === undefined) return { policy, diagnostics };
  if (!isMapping(value)) {
    diagnostics.push({ severity: 'error', file, message: 'the policy must map stages to their gates' });
    return { policy, diagnostics };
  }
  let gitTags: GitTagsMode | undefined;
  for (const [stage, rules] of Object.entries(value)) {
    if (stage === 'git_tags') {
      // YAML 1.1 readers take a bare `off` for false: accept that spelling too.
      const mode = rules === false ? 'off' : typeof rules === 'string' ? rules.trim().toLowerCase() : rules;
      if (isGitTagsMode(mode)) gitTags = mode;
      else diagnostics.push({ severity: 'warning', file, message: `git_tags must be one of ${GIT_TAGS_MODES.join(', ')} (got ${JSON.stringify(rules)}): tags stay off` });
      continue;
    }
    if (!isStage(stage)) {
      diagnostics.push({ severity: 'warning', file, message: `"${stage}" is not a stage (candidate, staging, production, decommissioned, archived): ignored` });
      continue;
    }
    const p = emptyStage();
    if (isMapping(rules)) {
      const metrics = rules['metrics'];
      if (isMapping(metrics)) {
        for (const [metric, bounds] of Object.entries(metrics)) {
          if (!isMapping(bounds)) continue;
          const entry: StagePolicy['metrics'][number] = { metric };
          if (typeof bounds['min'] === 'number') entry.min = bounds['min'];
          if (typeof bounds['max'] === 'number') entry.max = bounds['max'];
          p.metrics.push(entry);
        }
      }
      const beat = rules['beat_production'];
      for (const b of (Array.isArray(beat) ? beat : beat === undefined || beat === null ? [] : [beat]) as YamlValue[]) {
        if (typeof b === 'string') p.beatProduction.push({ metric: b, direction: inferDirection(b), margin: 0 });
        else if (isMapping(b) && typeof b['metric'] === 'string') {
          const d = b['direction'];
          p.beatProduction.push({
            metric: b['metric'],
            direction: d === 'max' || d === 'higher' ? 'max' : d === 'min' || d === 'lower' ? 'min' : inferDirection(b['metric']),
            margin: typeof b['margin'] === 'number' ? b['margin'] : 0,
          });
        }
      }
      p.packageVerified = rules['package_verified'] === true;
      p.gitClean = rules['git_clean'] === true;
      p.reason = rules['reason'] === true;
    }
    policy[stage] = p;
  }
  return { policy, diagnostics, ...(gitTags ? { gitTags } : {}) };
}

export interface GateInputs {
  version: number;
  metrics: Record<string, number | null>;
  production: { version: number; metrics: Record<string, number | null> } | null;
  reason: string | null;
  packageVerified: boolean | null;
  /** null when unknown (no git, or an untrusted workspace). */
  gitClean: boolean | null;
}

const show = (v: number | null | undefined): string => (v === null || v === undefined ? 'missing' : formatNumber(v));

export function evaluateGates(p: StagePolicy | undefined, inputs: GateInputs): GateResult[] {
  if (!p) return [];
  const out: GateResult[] = [];
  for (const m of p.metrics) {
    const v = inputs.metrics[m.metric];
    if (m.min !== undefined) {
      const ok = v !== null && v !== undefined && v >= m.min;
      out.push({ gate: `${m.metric} ≥ ${formatNumber(m.min)}`, ok, detail: `${m.metric} is ${show(v)}` });
    }
    if (m.max !== undefined) {
      const ok = v !== null && v !== undefined && v <= m.max;
      out.push({ gate: `${m.metric} ≤ ${formatNumber(m.max)}`, ok, detail: `${m.metric} is ${show(v)}` });
    }
  }
  for (const b of p.beatProduction) {
    const gate = `beats production on ${b.metric} (${b.direction === 'max' ? 'higher' : 'lower'} is better${b.margin ? `, by ${formatNumber(b.margin)}` : ''})`;
    if (!inputs.production) {
      out.push({ gate, ok: true, detail: 'no version is in production yet' });
      continue;
    }
    const mine = inputs.metrics[b.metric];
    const theirs = inputs.production.metrics[b.metric];
    const ok =
      mine !== null && mine !== undefined && theirs !== null && theirs !== undefined && (b.direction === 'max' ? mine >= theirs + b.margin : mine <= theirs - b.margin);
    out.push({ gate, ok, detail: `v${inputs.version}: ${show(mine)}, production v${inputs.production.version}: ${show(theirs)}` });
  }
  if (p.packageVerified) {
    out.push({
      gate: 'package built and verified',
      ok: inputs.packageVerified === true,
      detail: inputs.packageVerified ? 'a verified package exists' : `no verified package for v${inputs.version} (build one with mlcycle package)`,
    });
  }
  if (p.gitClean) {
    out.push({
      gate: 'git tree clean',
      ok: inputs.gitClean === true,
      detail: inputs.gitClean === null ? 'the git state is unknown (no repository, or git is off in this workspace)' : inputs.gitClean ? 'no uncommitted changes' : 'tracked files have uncommitted changes',
    });
  }
  if (p.reason) {
    const ok = inputs.reason !== null && inputs.reason.trim() !== '';
    out.push({ gate: 'reason given', ok, detail: ok ? inputs.reason! : 'a reason is required for this stage' });
  }
  return out;
}
