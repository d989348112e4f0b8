// Everything that makes the Compare Runs panel reachable: its view type, its commands (palette, Runs
// view context menu and title), the run picker, the context key for "two or more runs selected" and
// the serializer that brings a panel back after a reload. The panel itself is in comparePanel.ts.
// retainContextWhenHidden stays off: the webview rebuilds from setState and the host's last data in
// well under the first-paint budget, and a hidden panel then holds no renderer memory.
import * as vscode from 'vscode';
import { webviewOptions } from '../webviewShell';
import { formatNumber } from '../../core/util/numbers';
import {
  COMPARE_VIEW_TYPE,
  DEFAULT_VIEW_STATE,
  isRunKey,
  runKeyString,
  type CompareRunKey,
  type CompareViewState,
  type Direction,
} from '../../shared/compareProtocol';
import { register } from '../commands';
import { readConfig } from '../config';
import type { Engines, RunRef } from '../engines';
import { keyMetrics, kindLabel, type RunsNode } from '../views/runsTree';
import { ComparePanel, type ComparePanelHooks } from './comparePanel';

export const COMPARE_COMMANDS = {
  /** Palette: a multi-select picker of runs (or run references passed as arguments). */
  compareRuns: 'mlcycle.compareRuns',
  /** Runs view: the selected runs (context menu and view title). */
  compareSelected: 'mlcycle.views.runs.compareRuns',
} as const;

const SELECTION_CONTEXT = 'mlcycle.runs.canCompare';

export interface CompareApi {
  panels(): readonly ComparePanel[];
}

export function keyOf(ref: RunRef): CompareRunKey {
  return { folder: ref.folder.uri.toString(), source: ref.run.source.path, id: ref.run.id };
}

function runsOfNodes(nodes: readonly RunsNode[]): CompareRunKey[] {
  return nodes.flatMap((n) => (n.type === 'run' ? [keyOf({ folder: n.folder, run: n.run })] : []));
}

/** Arguments from tests, scripts and other extensions: run keys, possibly with a Uri as folder. */
function keysOfArgs(args: unknown[]): CompareRunKey[] | undefined {
  const list = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  const keys = list.flatMap((a): CompareRunKey[] => {
    if (typeof a !== 'object' || a === null) return [];
    const r = a as { folder?: unknown; source?: unknown; id?: unknown; type?: unknown };
    if (r.type === 'run') return runsOfNodes([a as RunsNode]);
    const folder = r.folder instanceof vscode.Uri ? r.folder.toString() : r.folder;
    const key = { folder, source: r.source, id: r.id };
    return isRunKey(key) ? [key] : [];
  });
  return keys.length > 0 ? keys : undefined;
}

/** A multi-select quick pick of every run, with the key metrics the Runs view shows. */
async function pickRuns(engines: Engines, options: { exclude?: readonly CompareRunKey[]; preselect?: readonly CompareRunKey[]; title: string }): Promise<CompareRunKey[] | undefined> {
  const excluded = new Set((options.exclude ?? []).map(runKeyString));
  const preselected = new Set((options.preselect ?? []).map(runKeyString));
  const several = engines.all().length > 1;
  type Item = vscode.QuickPickItem & { key: CompareRunKey };
  const items: Item[] = engines
    .runs()
    .filter((r) => !r.run.deleted && !excluded.has(runKeyString(keyOf(r))))
    .map((r) => {
      const key = keyOf(r);
      const metrics = keyMetrics(r.run, readConfig(r.folder).keyMetrics)
        .map(([k, v]) => `${k} ${v === null ? 'NaN' : formatNumber(v)}`)
        .join(' · ');
      return {
        label: r.run.name ?? r.run.id.slice(0, 12),
        description: [r.run.status === 'FINISHED' ? '' : r.run.status.toLowerCase(), metrics].filter(Boolean).join(' · '),
        detail: [several ? r.folder.name : '', kindLabel(r.run.source.kind), r.run.experiment ?? '', r.run.source.path, r.run.id].filter(Boolean).join(' · '),
        picked: preselected.has(runKeyString(key)),
        key,
      };
    });
  if (items.length === 0) {
    void vscode.window.showInformationMessage(excluded.size > 0 ? 'Every run is already in the panel.' : 'MLCycle has found no runs in this workspace yet.');
    return undefined;
  }
  const chosen = await vscode.window.showQuickPick(items, {
    title: options.title,
    placeHolder: 'Choose the runs to compare (Space toggles, Enter confirms)',
    canPickMany: true,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  return chosen?.map((c) => c.key);
}

export function registerCompare(
  context: vscode.ExtensionContext,
  engines: Engines,
  runsView: vscode.TreeView<RunsNode>,
): { disposables: vscode.Disposable[]; api: CompareApi } {
  const hooks: ComparePanelHooks = {
    pickRuns: (exclude) => pickRuns(engines, { exclude, title: 'Add Runs to the Comparison' }),
    showRun: async (key) => {
      const ref = engines.runs().find((r) => runKeyString(keyOf(r)) === runKeyString(key));
      if (!ref) throw new Error('that run is no longer in the store');
      const node: RunsNode = { type: 'run', id: `run:${key.folder}:${key.source}:${key.id}`, folder: ref.folder, run: ref.run, children: [] };
      await vscode.commands.executeCommand('mlcycle.showRunDetails', node);
    },
  };

  const open = (keys: readonly CompareRunKey[], overrides?: Record<string, Direction>): ComparePanel => {
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, 'Compare Runs', vscode.ViewColumn.Active, {
      ...webviewOptions(context.extensionUri),
      retainContextWhenHidden: false,
      enableFindWidget: true,
    });
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'mlcycle.svg');
    return new ComparePanel(panel, engines, context.extensionUri, hooks, keys, overrides);
  };

  const selectedKeys = (): CompareRunKey[] => runsOfNodes(runsView.selection);
  const setCanCompare = (): void => void vscode.commands.executeCommand('setContext', SELECTION_CONTEXT, selectedKeys().length >= 2);

  const disposables: vscode.Disposable[] = [
    register(COMPARE_COMMANDS.compareRuns, async (...args: unknown[]) => {
      const keys =
        keysOfArgs(args) ??
        (await pickRuns(engines, { preselect: selectedKeys(), title: 'Compare Runs' }));
      if (!keys || keys.length === 0) return undefined;
      open(keys);
      return keys.length;
    }),
    register(COMPARE_COMMANDS.compareSelected, async (node?: RunsNode, nodes?: RunsNode[]) => {
      // The clicked item with the rest of the multi-selection, or the selection (view title).
      const keys = runsOfNodes(nodes && nodes.length > 0 ? nodes : node ? [node] : runsView.selection);
      if (keys.length < 2) {
        return vscode.commands.executeCommand(COMPARE_COMMANDS.compareRuns);
      }
      open(keys);
      return keys.length;
    }),
    runsView.onDidChangeSelection(setCanCompare),
    vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        const s = parseState(state);
        panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'mlcycle.svg');
        new ComparePanel(panel, engines, context.extensionUri, hooks, s.runs, s.directions);
      },
    }),
    { dispose: () => ComparePanel.panels().forEach((p) => p.dispose()) },
  ];
  setCanCompare();
  return { disposables, api: { panels: () => ComparePanel.panels() } };
}

/** The webview's saved state, checked: it comes back from storage the page could write. */
function parseState(state: unknown): CompareViewState {
  const s = (typeof state === 'object' && state !== null ? state : {}) as Partial<CompareViewState>;
  const runs = Array.isArray(s.runs) ? s.runs.filter(isRunKey) : [];
  const directions: Record<string, Direction> = {};
  if (typeof s.directions === 'object' && s.directions !== null) {
    for (const [k, v] of Object.entries(s.directions)) if (v === 'min' || v === 'max') directions[k] = v;
  }
  return { ...DEFAULT_VIEW_STATE, runs, directions };
}
