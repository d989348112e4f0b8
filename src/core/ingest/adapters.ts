// The adapters MLCycle ships, in the order discovery consults them.
import { mlflowFileStore } from './mlflow/fileStore';
import { mlflowSqliteStore } from './mlflow/sqliteStore';
import type { SourceAdapter } from './types';

export function defaultAdapters(): SourceAdapter[] {
  return [mlflowFileStore, mlflowSqliteStore];
}
