// The model panel on the host side: one model's description and card, its versions, a metric
// across versions and the audit trail. The host asks the folder's engine (`modelDetail`) and posts
// the result once the webview said `ready`; it reloads when the registry changes. The webview keeps
// only UI state; the serializer (models/registration.ts) brings a panel back after a reload.
import * as vscode from 'vscode';
import { webviewHtml, webviewOptions } from '../webviewShell';
import type { ModelDetail } from '../../shared/engineProtocol';
import { isWebviewMessage, type HostMessage, type ModelPanelData, type WebviewMessage } from '../../shared/modelProtocol';
import type { Engines } from '../engines';
import { log, showError } from '../log';

export interface ModelPanelHooks {
  showRun(folder: vscode.WorkspaceFolder, run: { source: string; id: string }): Promise<void>;
  compareVersions(folder: vscode.WorkspaceFolder, model: string): Promise<void>;
}

export function panelData(folder: vscode.WorkspaceFolder, detail: ModelDetail, readOnly: boolean): ModelPanelData {
  const m = detail.model;
  return {
    folder: folder.uri.toString(),
    folderName: folder.name,
    model: m.name,
    description: m.description,
    modelCard: detail.modelCard,
    versions: m.versions.map((v) => ({
      version: v.version,
      stage: v.stage,
      stageReason: v.stageReason,
      aliases: v.aliases,
      registered: v.registered,
      actor: v.actor,
      run: v.run,
      metrics: v.metrics,
      bytes: v.bytes,
      packages: v.packages.length,
      verifiedPackages: v.packages.filter((p) => p.verifiedAt !== null && p.present).length,
    })),
    metrics: [...new Set(m.versions.flatMap((v) => Object.keys(v.metrics)))].sort(),
    history: detail.history.map((h) => ({
      time: h.time,
      actor: h.actor,
      type: h.type,
      version: h.version,
      from: h.from ?? null,
      to: h.to ?? null,
      reason: h.reason ?? null,
      detail: h.detail,
    })),
    readOnly,
  };
}

export class ModelPanel implements vscode.Disposable {
  private static readonly open = new Set<ModelPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private disposed = false;
  private loading: Promise<void> | undefined;
  private again = false;
  private readonly received = new vscode.EventEmitter<WebviewMessage>();
  /** Every message from the webview (tests wait on `painted`). */
  readonly onDidReceiveMessage = this.received.event;
  /** The last data sent (tests compare it with the registry). */
  lastData: ModelPanelData | undefined;
  lastPainted: Extract<WebviewMessage, { type: 'painted' }> | undefined;

  static panels(): readonly ModelPanel[] {
    return [...ModelPanel.open];
  }

  /** The open panel of a model, if any. */
  static find(folder: vscode.WorkspaceFolder, model: string): ModelPanel | undefined {
    return [...ModelPanel.open].find((p) => p.folder.uri.toString() === folder.uri.toString() && p.model === model);
  }

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly engines: Engines,
    extensionUri: vscode.Uri,
    private readonly hooks: ModelPanelHooks,
    readonly folder: vscode.WorkspaceFolder,
    readonly model: string,
  ) {
    ModelPanel.open.add(this);
    const webview = panel.webview;
    webview.options = webviewOptions(extensionUri);
    panel.title = `Model: ${model}`;
    this.disposables.push(
      this.received,
      panel.onDidDispose(() => this.dispose()),
      webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m)),
    );
    webview.html = webviewHtml(webview, extensionUri, { bundle: 'model', title: 'Model', placeholder: 'Loading the model…' });
    void this.reload();
  }

  /** Asks the engine again (the registry changed) and sends the result. */
  reload(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        do {
          this.again = false;
          await this.load();
        } while (this.again && !this.disposed);
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  private async load(): Promise<void> {
    const fe = this.engines.get(this.folder);
    if (!fe) {
      this.post({ type: 'gone', model: this.model });
      return;
    }
    try {
      await fe.ready;
      const [detail, snapshot] = await Promise.all([fe.client.request('modelDetail', { model: this.model }), fe.client.request('models', {})]);
      if (this.disposed) return;
      if (!detail) {
        this.lastData = undefined;
        this.post({ type: 'gone', model: this.model });
        return;
      }
      this.lastData = panelData(this.folder, detail, snapshot.readOnly);
      this.post({ type: 'data', data: this.lastData });
    } catch (err) {
      log.error(`model panel ${this.model}: ${(err as Error).message}`);
    }
  }

  private post(message: HostMessage): void {
    // Handshake: nothing goes out before the webview's script listens; it gets the last data then.
    if (!this.ready) return;
    void this.panel.webview.postMessage(message);
  }

  private async onMessage(raw: unknown): Promise<void> {
    if (!isWebviewMessage(raw)) return;
    const m = raw;
    this.received.fire(m);
    try {
      switch (m.type) {
        case 'ready':
          this.ready = true;
          if (this.lastData) this.post({ type: 'data', data: this.lastData });
          else this.post({ type: 'loading' });
          break;
        case 'painted':
          this.lastPainted = m;
          break;
        case 'showRun': {
          const run = this.lastData?.versions.find((v) => v.version === m.version)?.run;
          if (run) await this.hooks.showRun(this.folder, run);
          break;
        }
        case 'compareVersions':
          await this.hooks.compareVersions(this.folder, this.model);
          break;
        case 'log':
          log[m.level === 'error' ? 'error' : m.level === 'warn' ? 'warn' : 'info'](`model webview: ${String(m.message)}`);
          break;
      }
    } catch (err) {
      void showError(`Model panel: ${(err as Error).message}`);
    }
  }


  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    ModelPanel.open.delete(this);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
