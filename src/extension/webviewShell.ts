// What every MLCycle webview panel shares: its options (scripts only from our bundle, nothing loaded
// but dist/webview, never a workspace file) and its HTML shell under a strict CSP whose only script
// is the bundle, allowed by a fresh nonce. The page's content is built by the bundle from messages,
// as text: nothing from files ever goes into this HTML.
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')] };
}

/** `bundle` is the name esbuild gives webview/<bundle>/main.ts: dist/webview/<bundle>.js and .css. */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: { bundle: string; title: string; placeholder: string }): string {
  const nonce = crypto.randomBytes(18).toString('base64');
  const asset = (file: string): string => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', file)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset(`${page.bundle}.css`)}">
<title>${page.title}</title>
</head>
<body>
<main id="app" aria-busy="true"><p class="placeholder">${page.placeholder}</p></main>
<script nonce="${nonce}" src="${asset(`${page.bundle}.js`)}"></script>
</body>
</html>`;
}
