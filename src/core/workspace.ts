// One workspace folder with its store and its ingestor: what the CLI and the extension host open.
import * as path from 'node:path';
import { gitTreeClean, resolveActor } from './git/actor';
import { Ingestor } from './ingest/engine';
import { packageVerified } from './package/packages';
import { createGitTagger } from './registry/gitTags';
import { Registry, type RegistryEnvironment } from './registry/registry';
import type { SourceAdapter } from './ingest/types';
import { Store, type StoreNotice } from './store/store';

export const STORE_FOLDER = '.mlcycle';
export const STORE_FILE = 'mlcycle.db';

export interface OpenWorkspaceOptions {
  /** Database file; default `<folder>/.mlcycle/mlcycle.db`. */
  storePath?: string;
  onNotice?: (notice: StoreNotice) => void;
  adapters?: readonly SourceAdapter[];
  saveDelayMs?: number;
  /** Parsing threads (default: one per core, at most 4); 0 parses on the calling thread. */
  workers?: number;
  /** Read git context for runs (default true; false in untrusted workspaces). */
  git?: boolean;
}

export class Workspace {
  private registryInstance: Registry | undefined;

  private constructor(
    readonly folder: string,
    readonly store: Store,
    readonly ingestor: Ingestor,
  ) {}

  /**
   * The model registry of this folder (its journal is `.mlcycle/registry.jsonl`). In a trusted
   * workspace it writes GTO tags when the policy's `git_tags` asks for them; never otherwise.
   */
  registry(env: Partial<RegistryEnvironment> = {}): Registry {
    const git = this.ingestor.git;
    if (this.registryInstance) return this.registryInstance;
    const full: RegistryEnvironment = {
      actor: () => resolveActor(this.folder, git),
      gitClean: async () => (git ? gitTreeClean(this.folder) : null),
      // The "package built and verified" gate: a verified zip that still has its verified hash.
      packageVerified: (model, version) => packageVerified(this.store, this.folder, model, version),
      gitTags: createGitTagger(this.folder),
      ...env,
    };
    // Not even a caller's own tagger runs where git must not.
    if (!git) delete full.gitTags;
    this.registryInstance = new Registry(this.store, this.folder, full);
    return this.registryInstance;
  }

  static defaultStorePath(folder: string): string {
    return path.join(folder, STORE_FOLDER, STORE_FILE);
  }

  static async open(folder: string, options: OpenWorkspaceOptions = {}): Promise<Workspace> {
    const absolute = path.resolve(folder);
    const late: { ingestor?: Ingestor } = {};
    const store = await Store.open(options.storePath ?? Workspace.defaultStorePath(absolute), {
      ...(options.onNotice ? { onNotice: options.onNotice } : {}),
      ...(options.saveDelayMs !== undefined ? { saveDelayMs: options.saveDelayMs } : {}),
      // Another process saved over our unsaved scan results: scan again (only changes are read).
      onReload: () => late.ingestor?.requestRescan(),
    });
    late.ingestor = new Ingestor(store, absolute, {
      ...(options.adapters ? { adapters: options.adapters } : {}),
      ...(options.workers !== undefined ? { workers: options.workers } : {}),
      ...(options.git !== undefined ? { git: options.git } : {}),
      ...(options.onNotice ? { log: (message: string) => options.onNotice?.({ level: 'info', message }) } : {}),
    });
    return new Workspace(absolute, store, late.ingestor);
  }

  close(): void {
    this.ingestor.close();
    this.store.close();
  }
}
