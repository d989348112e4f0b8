// The host's handle on one engine worker: typed requests with promises, events as VS Code events.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import {
  isResponse,
  type EngineErrorData,
  type EngineEvent,
  type RequestMap,
  type RequestName,
  type WorkerMessage,
} from '../shared/engineProtocol';

/** A failed request; `data` says more when the engine could (each failed gate, a cancel). */
export class EngineRequestError extends Error {
  constructor(
    message: string,
    readonly data: EngineErrorData | undefined,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  /** Progress of a long request (bytes done of total). */
  onProgress?: (done: number, total: number) => void;
  /** Cancelling asks the worker to abort the request; it then fails with data `cancelled`. */
  token?: vscode.CancellationToken;
}

export class EngineClient implements vscode.Disposable {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string; onProgress?: (done: number, total: number) => void }>();
  private readonly events = new vscode.EventEmitter<EngineEvent>();
  readonly onEvent = this.events.event;
  private exited = false;

  constructor(
    readonly folder: vscode.WorkspaceFolder,
    distDir: string,
  ) {
    this.worker = new Worker(path.join(distDir, 'engineWorker.js'));
    this.worker.on('message', (msg: WorkerMessage) => {
      if (isResponse(msg)) {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error !== undefined) p.reject(new EngineRequestError(msg.error, msg.errorData));
        else p.resolve(msg.result);
      } else if (msg.type === 'taskProgress') {
        this.pending.get(msg.request)?.onProgress?.(msg.done, msg.total);
      } else {
        this.events.fire(msg);
      }
    });
    const fail = (err: Error): void => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.events.fire({ kind: 'event', type: 'notice', level: 'error', message: `the MLCycle engine for ${folder.name} stopped: ${err.message}` });
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (!this.exited && code !== 0) fail(new Error(`exit code ${code}`));
      this.exited = true;
    });
  }

  request<K extends RequestName>(method: K, params: RequestMap[K]['params'], options: RequestOptions = {}): Promise<RequestMap[K]['result']> {
    if (this.exited) return Promise.reject(new Error('the engine has stopped'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const sub = options.token?.onCancellationRequested(() => {
        if (this.pending.has(id) && !this.exited) this.worker.postMessage({ kind: 'cancel', id });
      });
      const done = (): void => sub?.dispose();
      this.pending.set(id, {
        resolve: (v) => {
          done();
          (resolve as (v: unknown) => void)(v);
        },
        reject: (e) => {
          done();
          reject(e);
        },
        method,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      this.worker.postMessage({ kind: 'request', id, method, params });
      // Cancelled before it was sent (the user was quicker than the worker): cancel it right away.
      if (options.token?.isCancellationRequested) this.worker.postMessage({ kind: 'cancel', id });
    });
  }

  async dispose(): Promise<void> {
    if (!this.exited) {
      try {
        await Promise.race([this.request('dispose', {}), new Promise((r) => setTimeout(r, 3000))]);
      } catch {
        // stopping anyway
      }
    }
    this.exited = true;
    await this.worker.terminate();
    this.events.dispose();
  }
}
