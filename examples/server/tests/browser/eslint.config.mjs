// The dashboard's own script (a browser module) and these tests (Node
// modules), linted from examples/server: `npm run lint` here.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['**/node_modules/', 'dashboard/vendor/'] },
  js.configs.recommended,
  {
    files: ['dashboard/**/*.js'],
    languageOptions: { sourceType: 'module', ecmaVersion: 2023, globals: globals.browser },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', ecmaVersion: 2023, globals: { ...globals.node, ...globals.browser } },
  },
];
