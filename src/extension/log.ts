// One LogOutputChannel, "MLCycle", for every operation and error.
import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

export function createLog(): vscode.LogOutputChannel {
  channel = vscode.window.createOutputChannel('MLCycle', { log: true });
  return channel;
}

export const log = {
  trace: (m: string): void => channel?.trace(m),
  debug: (m: string): void => channel?.debug(m),
  info: (m: string): void => channel?.info(m),
  warn: (m: string): void => channel?.warn(m),
  error: (m: string | Error): void => channel?.error(m),
  show: (): void => channel?.show(true),
};

/** Shows an error with a button to the log, where the details are. */
export async function showError(message: string): Promise<void> {
  log.error(message);
  const choice = await vscode.window.showErrorMessage(`MLCycle: ${message}`, 'Show Log');
  if (choice) log.show();
}
