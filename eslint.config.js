import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'public/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      // Only jit/binaryen.ts may import binaryen (STYLE.md anti-patterns).
      'no-restricted-imports': ['error', { paths: [{ name: 'binaryen', message: 'binaryen is confined to jit/binaryen.ts' }] }],
    },
  },
  { files: ['jit/binaryen.ts'], rules: { 'no-restricted-imports': 'off' } },
  {
    files: ['bin/**/*.mjs', 'workers/**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { process: 'readonly', setImmediate: 'readonly', console: 'readonly' } },
  },
  {
    files: ['core/**/*.ts', 'jit/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', 'window', 'document', 'navigator'],
    },
  },
);
