// Type-aware lint: the rules that matter for an engine (no floating or misused promises,
// exhaustive switches) and a restricted-imports rule that keeps the layers apart.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.openclaw/**',
      'coverage/**',
      'test-results/**',
      '**/*.js',
      '!eslint.config.js',
      // Type-checked by the root tsconfig; outside ui/tsconfig.json (browser code only).
      'ui/vite.config.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // The web UI (ui/, React, its own tsconfig): type-aware like the rest, the rules of hooks, and
    // the server only through the REST API (never engine/, api/ or cli/ code).
    files: ['ui/src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['**/engine/**', '**/api/**', '**/cli/**'], message: 'the UI reaches the server through the REST API only' }],
        },
      ],
    },
  },
  {
    // engine/ never imports api/ or cli/, nor its own test helpers (engine/testing.ts).
    files: ['engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/api/**', '**/cli/**'], message: 'engine/ must not import api/ or cli/' },
            { regex: '^(\\./|(\\.\\./)+)testing\\.js$', message: 'engine/testing.ts is for tests, benchmarks and openclaw dev only' },
          ],
        },
      ],
    },
  },
  {
    // api/ and cli/ use the engine only through its public face (engine/index.ts).
    files: ['api/**/*.ts', 'cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+engine/(?!index\\.js$)',
              message: 'import the engine through engine/index.js only',
            },
          ],
        },
      ],
    },
  },
  {
    // Except `openclaw dev`'s embedded PostgreSQL, which comes from the testing face (engine/testing.ts).
    files: ['cli/runtime/embedded-db.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+engine/(?!index\\.js$|testing\\.js$)',
              message: 'import the engine through engine/index.js (or engine/testing.js for the embedded PostgreSQL) only',
            },
          ],
        },
      ],
    },
  },
  {
    // spec/ is pure: no database, no runs.
    files: ['engine/spec/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/db/**', '**/runs/**', '**/worker/**', '**/scheduler/**', 'pg', 'kysely'], message: 'engine/spec is pure' },
          ],
        },
      ],
    },
  },
  {
    // executors know nothing about runs or the database.
    files: ['engine/executors/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/db/**', '**/runs/**', '**/worker/**', '**/scheduler/**', 'pg', 'kysely'],
              message: 'executors get a task and return a result',
            },
          ],
        },
      ],
    },
  },
  {
    // openclaw/client (client/) runs in browsers too: no Node modules or globals, and no server code
    // (it knows the API only through the types generated from the OpenAPI document).
    files: ['client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'client/ runs in browsers: no Node modules' },
            { group: ['**/engine/**', '**/api/**', '**/cli/**'], message: 'client/ knows the API only through schema.generated.ts' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'Buffer', 'require', '__dirname', '__filename', 'global'],
    },
  },
);
