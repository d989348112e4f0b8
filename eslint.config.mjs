// Lint: typescript-eslint's recommended rules plus the layer rule of DESIGN.md §2:
// only the host (src/extension) may import 'vscode'.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noVscode = {
  'no-restricted-imports': ['error', {
    paths: [{ name: 'vscode', message: "Only src/extension talks to VS Code; core, CLI, shared and webview code stay plain so they run in Node, CI and the browser." }],
  }],
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.deps/**', '.demo/**', '.bench/**', '.cache/**', '.test-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  // Only the host and the tests that run inside VS Code may import it.
  { files: ['src/core/**', 'src/cli/**', 'src/shared/**', 'webview/**', 'test/unit/**', 'test/integration/**', 'test/helpers/**', 'bench/**', 'tools/**'], rules: noVscode },
  { files: ['**/*.mjs', '**/*.cjs', '**/*.js'], languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly' } } },
);
