// Status bar: runs tracked and runs running; a click opens the Runs view.
import * as vscode from 'vscode';
import type { Engines } from './engines';

export class RunsStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('mlcycle.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly engines: Engines) {
    this.item.name = 'MLCycle';
    this.item.command = 'mlcycle.runs.focus';
    this.subscription = engines.onDidChange(() => this.update());
    this.update();
  }

  update(): void {
    const runs = this.engines.runs().filter((r) => !r.run.deleted);
    const running = runs.filter((r) => r.run.status === 'RUNNING').length;
    const scanning = this.engines.scanning;
    if (runs.length === 0 && !scanning) {
      this.item.hide();
      return;
    }
    this.item.text = `$(${scanning ? 'loading~spin' : 'beaker'}) ${runs.length} run${runs.length === 1 ? '' : 's'}${running ? ` · $(sync~spin) ${running} running` : ''}`;
    const perFolder = this.engines
      .all()
      .map((fe) => `${fe.folder.name}: ${(fe.snapshot?.runs ?? []).filter((r) => !r.deleted).length} runs`)
      .join('\n');
    this.item.tooltip = `MLCycle — ${runs.length} runs tracked, ${running} running${scanning ? ', scanning…' : ''}\n${perFolder}\nClick to show the runs`;
    this.item.accessibilityInformation = { label: `MLCycle: ${runs.length} runs tracked, ${running} running` };
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
