// Keeps the demo's live runs training: appends a point to their metrics every few seconds, the way
// MLflow's log_metric does, so that the sidebar shows runs that grow.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendMetric } from './mlflowFiles';

export interface LiveRuns {
  stop(): void;
}

export function startLiveRuns(live: { mlflowRunDir: string; lightningCsv: string }, intervalMs = 2000): LiveRuns {
  const lossFile = path.join(live.mlflowRunDir, 'metrics', 'train_loss');
  let step = fs.readFileSync(lossFile, 'utf8').trim().split('\n').length;
  let epoch = (fs.readFileSync(live.lightningCsv, 'utf8').trim().split('\n').length - 1) / 2;
  const timer = setInterval(() => {
    const t = Date.now();
    const loss = 0.25 + 0.45 * Math.exp(-step / 40) + (Math.random() - 0.5) * 0.01;
    const acc = 0.9 - 0.4 * Math.exp(-step / 35) + (Math.random() - 0.5) * 0.005;
    appendMetric(live.mlflowRunDir, 'train_loss', [{ timestamp: t, value: loss, step }]);
    appendMetric(live.mlflowRunDir, 'accuracy', [{ timestamp: t, value: acc, step }]);
    step++;
    // Lightning flushes a training row and a validation row per epoch, every few ticks.
    if (step % 3 === 0) {
      const loss = 1.0 * Math.exp(-epoch / 5) + 0.1;
      const globalStep = (epoch + 1) * 100 - 1;
      fs.appendFileSync(live.lightningCsv, `${epoch},${globalStep},${loss},,\n${epoch},${globalStep},,${0.6 + 0.3 * (1 - Math.exp(-epoch / 3))},${loss + 0.08}\n`);
      epoch++;
    }
  }, intervalMs);
  return { stop: () => clearInterval(timer) };
}
