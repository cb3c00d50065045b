// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

// The core (node/, storage/) must never depend on the command line or the terminal UI:
// dependencies point one way, cli -> node -> storage (design section 1).
const uiImports = {
  patterns: [
    { group: ['**/cli/**', '../cli', '../../cli'], message: 'node/ and storage/ must not import cli/ (dependencies point cli -> node -> storage).' },
    { group: ['react', 'react/*', 'ink', 'ink-*'], message: 'node/ and storage/ must stay free of UI code.' }
  ]
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'node/protocol/peerpost.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off'
    }
  },
  {
    // Tests and scripts read the command's JSON output, whose shape the assertions check.
    files: ['test/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      'no-control-regex': 'off'
    }
  },
  {
    files: ['node/**/*.ts', 'storage/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', uiImports],
      'no-console': 'error'
    }
  },
  {
    files: ['storage/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [...uiImports.patterns, { group: ['../node/**', '../node'], message: 'storage/ sits below node/: it must not import node/.' }]
      }]
    }
  }
)
