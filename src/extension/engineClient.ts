// The host's handle on one engine worker: typed requests with promises, events as VS Code events.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import {
  isResponse,
  type EngineEvent,
  type RequestMap,
  type RequestName,
  type WorkerMessage,
} from '../shared/engineProtocol';

export class EngineClient implements vscode.Disposable {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string }>();
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
        if (msg.error !== undefined) p.reject(new Error(msg.error));
        else p.resolve(msg.result);
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

  request<K extends RequestName>(method: K, params: RequestMap[K]['params']): Promise<RequestMap[K]['result']> {
    if (this.exited) return Promise.reject(new Error('the engine has stopped'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
      this.worker.postMessage({ kind: 'request', id, method, params });
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
