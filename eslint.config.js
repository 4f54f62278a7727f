import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'server/dist/', 'webapp/dist/', 'dist/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The environment is read in server/src/config.ts only.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through server/src/config.ts.' }],
    },
  },
  {
    files: ['server/src/config.ts', 'test/**', 'build/**', 'jest.config.js'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['webapp/src/**', 'test/webapp/**', 'test/e2e/host/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
