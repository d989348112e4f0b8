// The adapters MLCycle ships, in the order discovery consults them.
import { mlflowFileStore } from './mlflow/fileStore';
import { mlflowSqliteStore } from './mlflow/sqliteStore';
import { dvcAdapter } from './dvc';
import { lightningAdapter } from './lightning/adapter';
import { huggingFaceAdapter } from './huggingface/trainer';
import { ultralyticsAdapter } from './ultralytics/yolo';
import { kerasAdapter } from './keras/csvLogger';
import { plainAdapter } from './plain/convention';
import { tensorboardAdapter } from './tensorboard/adapter';
import { gtoAdapter } from './gto/adapter';
import type { SourceAdapter } from './types';

/**
 * `git: false` (an untrusted workspace) leaves out the adapter that reads git tags. It would not
 * start git anyway (the Ingestor passes `git` in ReadContext), but it need not look for `.git`.
 */
export function defaultAdapters(options: { git?: boolean } = {}): SourceAdapter[] {
  return [
    mlflowFileStore,
    mlflowSqliteStore,
    dvcAdapter,
    lightningAdapter,
    huggingFaceAdapter,
    ultralyticsAdapter,
    kerasAdapter,
    tensorboardAdapter,
    plainAdapter,
    // Last and never exclusive: a repository's folder is usually also another tool's project.
    ...(options.git === false ? [] : [gtoAdapter]),
  ];
}
