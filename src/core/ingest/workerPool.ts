// Parsing in parallel: a small pool of worker threads that run named, pure read tasks (read a
// batch of run folders into RunUpdates). The thread that owns the database only writes.
//
// Workers are started on first use and unref'd, so a CLI process still exits when its work is
// done; `close()` stops them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

export interface TaskMessage {
  id: number;
  task: string;
  payload: unknown;
}

export interface ResultMessage {
  id: number;
  result?: unknown;
  error?: string;
}

/** The worker script: bundled next to the CLI and the extension, or the TypeScript source in tests. */
function workerEntry(): { file: string; execArgv: string[] } | undefined {
  const bundled = path.join(__dirname, 'ingestWorker.js');
  if (fs.existsSync(bundled)) return { file: bundled, execArgv: [] };
  const source = path.join(__dirname, 'ingestWorker.ts');
  if (fs.existsSync(source)) {
    try {
      return { file: source, execArgv: ['--require', require.resolve('tsx/cjs')] };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export class WorkerPool {
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private queue: { message: TaskMessage; resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  private readonly inFlight = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; worker: Worker }>();
  private nextId = 1;
  private broken = false;

  constructor(readonly size = Math.max(1, Math.min(4, os.availableParallelism()))) {}

  /** False when disabled (size 0) or no worker script can be found: callers then read in-thread. */
  get available(): boolean {
    return this.size > 0 && !this.broken && workerEntry() !== undefined;
  }

  run<T>(task: string, payload: unknown): Promise<T> {
    this.start();
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ message: { id: this.nextId++, task, payload }, resolve: resolve as (v: unknown) => void, reject });
      this.dispatch();
    });
  }

  close(): void {
    for (const w of this.workers) void w.terminate();
    this.workers = [];
    this.idle = [];
    for (const { reject } of this.inFlight.values()) reject(new Error('worker pool closed'));
    this.inFlight.clear();
  }

  private start(): void {
    if (this.workers.length > 0) return;
    const entry = workerEntry();
    if (!entry) throw new Error('the ingest worker script is missing');
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(entry.file, { execArgv: entry.execArgv });
      worker.unref();
      worker.on('message', (msg: ResultMessage) => this.finished(worker, msg));
      worker.on('error', (err) => this.failed(worker, err));
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const job = this.queue.shift()!;
      this.inFlight.set(job.message.id, { resolve: job.resolve, reject: job.reject, worker });
      worker.ref(); // keep the process alive while a task is out
      worker.postMessage(job.message);
    }
  }

  private finished(worker: Worker, msg: ResultMessage): void {
    const job = this.inFlight.get(msg.id);
    this.inFlight.delete(msg.id);
    worker.unref();
    this.idle.push(worker);
    if (job) {
      if (msg.error !== undefined) job.reject(new Error(msg.error));
      else job.resolve(msg.result);
    }
    this.dispatch();
  }

  private failed(worker: Worker, err: Error): void {
    this.broken = true;
    for (const [id, job] of this.inFlight) {
      if (job.worker !== worker) continue;
      this.inFlight.delete(id);
      job.reject(err);
    }
    this.workers = this.workers.filter((w) => w !== worker);
    this.idle = this.idle.filter((w) => w !== worker);
    if (this.workers.length === 0) for (const q of this.queue.splice(0)) q.reject(err);
    else this.dispatch();
  }
}
