// ESLint with typescript-eslint's type-aware rules; Prettier owns the formatting.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Fastify plugins and hooks are async by contract even when they do not await.
      '@typescript-eslint/require-await': 'off',
      // `(out) => doSomething(out)` reads better than braces around a single call.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
    },
  },
  {
    // Test code is for tests: the stand-ins that the sandbox, scripts and benchmark share live in
    // stand-ins/, so nothing outside test/ may reach into it.
    files: ['src/**/*.ts', 'stand-ins/**/*.ts', 'sandbox/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '(^|/)test/', message: 'Only test/ may import from test/.' }] },
      ],
    },
  },
  {
    // The job engine knows no business: it may use the database layer, never a feature.
    files: ['src/queue/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '(^|/)test/', message: 'Only test/ may import from test/.' },
            {
              regex: '^\\.\\./(?!db/)',
              message: 'src/queue/ is the engine: it imports nothing from the features.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests read JSON bodies (`any`) on purpose; their assertions are the type check.
    files: ['test/**/*.ts', 'stand-ins/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
);
