// Stylesheets imported for esbuild, which bundles them into dist/webview/<name>.css.
declare module '*.css';
