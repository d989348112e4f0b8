// The one message protocol of the model panel, imported by the extension host
// (src/extension/models/modelPanel.ts) and the webview (webview/model/). The host owns the data; the
// webview keeps only UI state (getState/setState: which model, which metric is charted), which the
// serializer hands back after a reload.
//
// Every string here may come from files the user did not write (model descriptions, run names,
// metric names, reasons, the model card): the webview renders them as text, never as HTML.

export const MODEL_VIEW_TYPE = 'mlcycle.model';

export interface ModelPanelVersion {
  version: number;
  stage: string;
  stageReason: string | null;
  aliases: string[];
  registered: number;
  actor: string | null;
  run: { source: string; id: string; name: string | null } | null;
  /** Last values of the linked run's metrics (null: NaN or infinite). */
  metrics: Record<string, number | null>;
  bytes: number;
  packages: number;
  verifiedPackages: number;
}

export interface ModelPanelEvent {
  time: string;
  actor: string;
  type: string;
  version: number | null;
  from: string | null;
  to: string | null;
  reason: string | null;
  detail: string;
}

export interface ModelPanelData {
  /** Workspace folder URI (kept in the webview's state for the serializer). */
  folder: string;
  folderName: string;
  model: string;
  description: string | null;
  modelCard: string | null;
  versions: ModelPanelVersion[];
  /** Every metric some version has, sorted. */
  metrics: string[];
  history: ModelPanelEvent[];
  readOnly: boolean;
}

/** What the serializer keeps: the model (folder URI + name) and the charted metric. */
export interface ModelViewState {
  folder: string;
  model: string;
  metric: string | null;
}

export type HostMessage = { type: 'data'; data: ModelPanelData } | { type: 'gone'; model: string } | { type: 'loading' };

export type WebviewMessage =
  | { type: 'ready' }
  /** After each render: what is on screen (tests read it). */
  | { type: 'painted'; versions: number; events: number; chartPoints: number }
  | { type: 'showRun'; version: number }
  | { type: 'compareVersions' }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export function isWebviewMessage(m: unknown): m is WebviewMessage {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  return t === 'ready' || t === 'painted' || t === 'showRun' || t === 'compareVersions' || t === 'log';
}

export function isModelViewState(s: unknown): s is ModelViewState {
  if (typeof s !== 'object' || s === null) return false;
  const v = s as Partial<ModelViewState>;
  return typeof v.folder === 'string' && typeof v.model === 'string' && (v.metric === null || v.metric === undefined || typeof v.metric === 'string');
}
