// Lint rules that matter here: promises are awaited or handled, nothing unused, small functions with shallow nesting,
// lines of at most 120 characters (prettier decides the rest of the layout; `npm run format:check` checks it).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const smallUnits = {
  'max-lines-per-function': ['error', {max: 60, skipBlankLines: true, skipComments: true, IIFEs: true}],
  'max-depth': ['error', 4],
  complexity: ['error', 20],
}

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', '.etl/', 'bench/results/', 'templates/', 'test/fixtures/**/*.mjs']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {projectService: true, tsconfigRootDir: import.meta.dirname},
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', {checksVoidReturn: {arguments: false, attributes: false}}],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_'},
      ],
      'max-len': ['error', {code: 120, ignoreUrls: true, ignoreRegExpLiterals: true}],
    },
  },
  {files: ['src/**/*.ts'], rules: smallUnits},
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly'},
    },
  },
  {
    // The live dashboard's browser modules (served as they are, no build step).
    files: ['assets/dashboard/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'history',
          'requestAnimationFrame',
          'EventSource',
          'Intl',
          'fetch',
          'URLSearchParams',
          'structuredClone',
          'IntersectionObserver',
          'console',
          'setTimeout',
        ].map((name) => [name, 'readonly']),
      ),
    },
    rules: smallUnits,
  },
)
