// Every ingest diagnostic in the Problems panel, on its file and line.
import * as vscode from 'vscode';
import type { Engines } from './engines';

const SEVERITY: Record<string, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export class Problems implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('mlcycle');
  private readonly subscription: vscode.Disposable;

  constructor(private readonly engines: Engines) {
    this.subscription = engines.onDidChange(() => this.update());
  }

  update(): void {
    const byFile = new Map<string, { uri: vscode.Uri; items: vscode.Diagnostic[] }>();
    for (const fe of this.engines.all()) {
      for (const d of fe.snapshot?.diagnostics ?? []) {
        const uri = vscode.Uri.joinPath(fe.folder.uri, ...d.file.split('/'));
        const line = Math.max(0, (d.line ?? 1) - 1);
        const diag = new vscode.Diagnostic(new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER), d.message, SEVERITY[d.severity] ?? vscode.DiagnosticSeverity.Warning);
        diag.source = 'MLCycle';
        const entry = byFile.get(uri.toString()) ?? { uri, items: [] };
        entry.items.push(diag);
        byFile.set(uri.toString(), entry);
      }
    }
    this.collection.clear();
    for (const { uri, items } of byFile.values()) this.collection.set(uri, items);
  }

  dispose(): void {
    this.subscription.dispose();
    this.collection.dispose();
  }
}
