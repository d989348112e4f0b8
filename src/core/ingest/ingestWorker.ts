// Entry point of an ingest worker thread (see workerPool.ts): runs read tasks, posts results.
import { parentPort } from 'node:worker_threads';
import { readRun, type RunToRead } from './mlflow/fileStore';
import type { RunUpdate } from './types';
import type { ResultMessage, TaskMessage } from './workerPool';

export interface MlflowRunsTask {
  runs: RunToRead[];
}

export type MlflowRunsResult = (RunUpdate | null | { error: string; dir: string })[];

const tasks: Record<string, (payload: never) => unknown> = {
  mlflowRuns: (payload: MlflowRunsTask): MlflowRunsResult =>
    payload.runs.map((r) => {
      try {
        return readRun(r.dir, r.id, r.known, r.ctx) ?? null;
      } catch (err) {
        return { error: (err as Error).message, dir: r.dir };
      }
    }),
};

parentPort?.on('message', (msg: TaskMessage) => {
  const reply: ResultMessage = { id: msg.id };
  try {
    const task = tasks[msg.task];
    if (!task) throw new Error(`unknown task ${msg.task}`);
    reply.result = task(msg.payload as never);
  } catch (err) {
    reply.error = (err as Error).message;
  }
  parentPort?.postMessage(reply);
});
