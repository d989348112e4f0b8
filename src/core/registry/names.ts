// Names of models, stages and aliases: what a file system, a git tag and a shell all accept. GTO's
// own pattern is stricter by one character: it has no `.`, so a dotted model gets no GTO tags
// (gitTags.ts reports it) while the rest of the registry works the same.
export const STAGES = ['candidate', 'staging', 'production', 'decommissioned', 'archived'] as const;
export type Stage = (typeof STAGES)[number];

/** Letters, digits, `.`, `_` and `-`; starts and ends with a letter or digit; at most 100 characters. */
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$/;

/** Why a model or alias name is refused, or undefined when it is fine. */
export function invalidName(kind: 'model' | 'alias', name: string): string | undefined {
  if (name.trim() !== name || name === '') return `a ${kind} name cannot be empty or start or end with a space`;
  if (/\s/.test(name)) return `a ${kind} name cannot contain spaces: "${name}" (use - or _)`;
  if (name.includes('/') || name.includes('\\')) return `a ${kind} name cannot contain slashes: "${name}" (use - or _)`;
  if (name.includes('..')) return `a ${kind} name cannot contain "..": "${name}"`;
  if (!NAME.test(name)) return `a ${kind} name may only use letters, digits, ".", "_" and "-", starting and ending with a letter or digit: "${name}"`;
  if (kind === 'alias' && (STAGES as readonly string[]).includes(name)) return `"${name}" is a stage, not an alias`;
  if (kind === 'alias' && /^v\d+$/.test(name)) return `"${name}" looks like a version number; choose another alias`;
  return undefined;
}

export function isStage(s: string): s is Stage {
  return (STAGES as readonly string[]).includes(s);
}

/** Why moving a version from one stage to another is not a life-cycle step, or undefined. */
export function invalidTransition(from: Stage, to: Stage): string | undefined {
  if (from === to) return `the version is already in ${to}`;
  if (from === 'archived') return 'an archived version is frozen: register the files again to bring them back';
  if (from === 'decommissioned' && to !== 'archived') return `a decommissioned version can only be archived (not moved to ${to})`;
  if (to === 'candidate') return 'a version cannot go back to candidate';
  if (from === 'production' && to === 'staging') return undefined; // rolled back for more validation
  if (from === 'production' && to === 'archived') return 'decommission the production version (with a reason) before archiving it';
  if (STAGES.indexOf(to) < STAGES.indexOf(from)) return `a version cannot move back from ${from} to ${to}`;
  return undefined;
}

export const DECOMMISSION_REASONS = {
  'better-model': 'a better model was found',
  'better-features': 'better features are available',
  'process-changed': 'the modelled process changed',
  superseded: 'superseded by a newer version',
  other: 'other',
} as const;

export type DecommissionReason = keyof typeof DECOMMISSION_REASONS;
