// The webview side of a panel's one typed message protocol: VS Code's API with the panel's own message
// and state types, and what goes wrong in the page (errors, CSP refusals) reported to the host's log,
// where the UI tests see it too.

interface VsCodeApi<Message, State> {
  postMessage(message: Message): void;
  getState(): Partial<State> | undefined;
  setState(state: State): void;
}
declare function acquireVsCodeApi<Message, State>(): VsCodeApi<Message, State>;

type LogMessage = { type: 'log'; level: 'error' | 'warn'; message: string };

/** Call once per page: VS Code hands its API out a single time. */
export function connectToHost<Message, State>(): { api: VsCodeApi<Message, State>; post: (m: Message) => void } {
  const api = acquireVsCodeApi<Message, State>();
  const post = (m: Message): void => api.postMessage(m);
  // Both protocols have the `log` message: reported through it.
  const report = (m: LogMessage): void => api.postMessage(m as Message);
  window.addEventListener('error', (e) => report({ type: 'log', level: 'error', message: `${e.message} (${e.filename}:${e.lineno})` }));
  document.addEventListener('securitypolicyviolation', (e) => report({ type: 'log', level: 'warn', message: `CSP blocked ${e.violatedDirective}: ${e.blockedURI || '(inline)'}` }));
  return { api, post };
}
