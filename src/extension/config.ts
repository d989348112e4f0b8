// Typed access to the `mlcycle.*` settings. Changes apply without a reload.
import * as vscode from 'vscode';
import type { EngineSettings } from '../shared/engineProtocol';

export const ADAPTER_KINDS = ['mlflow', 'mlflow-sqlite', 'dvc', 'lightning', 'huggingface', 'ultralytics', 'keras', 'tensorboard', 'plain'] as const;

export interface MlcycleConfig {
  /** Folders (relative to each workspace folder) to scan; empty = the whole folder. */
  include: string[];
  exclude: string[];
  adapters: Record<string, boolean>;
  watch: boolean;
  /** `.mlcycle` in each folder (default), or a folder of the user's own for the stores. */
  storeLocation: string;
  keyMetrics: string[];
}

export function readConfig(scope?: vscode.ConfigurationScope): MlcycleConfig {
  const c = vscode.workspace.getConfiguration('mlcycle', scope);
  return {
    include: c.get<string[]>('include', []),
    exclude: c.get<string[]>('exclude', []),
    adapters: c.get<Record<string, boolean>>('adapters', {}),
    watch: c.get<boolean>('watch', true),
    storeLocation: c.get<string>('storeLocation', ''),
    keyMetrics: c.get<string[]>('runs.keyMetrics', []),
  };
}

export function engineSettings(config: MlcycleConfig, trusted: boolean): EngineSettings {
  return {
    include: config.include,
    exclude: config.exclude,
    disabledAdapters: Object.entries(config.adapters)
      .filter(([, on]) => on === false)
      .map(([kind]) => kind),
    watch: config.watch,
    git: trusted,
  };
}
