import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const bannedInSandbox = [
  ...nodeBuiltins.map((name) => ({
    name,
    message: 'Workflow and algorithm code must stay deterministic: no Node APIs.',
  })),
];
const bannedPatterns = [
  { group: ['@tensorflow/*'], message: 'TensorFlow.js belongs in ml/, never in deterministic code.' },
  { group: ['minio', 'minio/*'], message: 'MinIO belongs in storage/, never in deterministic code.' },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'eslint.config.mjs', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test/describe return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts', 'amto/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: bannedInSandbox, patterns: bannedPatterns }],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'No process access in deterministic code.' },
        { name: 'setTimeout', message: 'Use workflow sleep, not timers.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the seeded PRNG in amto/prng.ts.' },
        { object: 'Date', property: 'now', message: 'Deterministic code must not read the clock.' },
      ],
    },
  },
  {
    files: ['amto/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: bannedInSandbox,
          patterns: [
            ...bannedPatterns,
            { group: ['@temporalio/*'], message: 'amto/ knows nothing of Temporal.' },
          ],
        },
      ],
    },
  },
);
