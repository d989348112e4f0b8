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
import type { SourceAdapter } from './types';

export function defaultAdapters(): SourceAdapter[] {
  return [mlflowFileStore, mlflowSqliteStore, dvcAdapter, lightningAdapter, huggingFaceAdapter, ultralyticsAdapter, kerasAdapter, tensorboardAdapter, plainAdapter];
}
