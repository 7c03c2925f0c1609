// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';

/**
 * The layers of src-main, bottom to top (ARCHITECTURE.md): a folder imports only folders of its
 * own layer or below. `shared/` (the plain types and rules both sides of the IPC contract use)
 * is importable from anywhere and imports nothing else of the project; `preload/` and the renderer
 * import only `shared/`.
 */
export const LAYERS = [
  ['capture'],
  ['decode'],
  ['devices'],
  ['views'],
  ['features', 'activity'],
  ['inference'],
  ['store'],
  ['audit'],
  ['findings'],
  ['report', 'evaluation'],
  ['engine'],
  ['cli', 'app'],
];
const ALL_FOLDERS = [...LAYERS.flat(), 'preload'];
const layerZones = [
  ...LAYERS.flatMap((layer, i) =>
    layer.map((folder) => ({
      target: `./src-main/${folder}`,
      from: [...LAYERS.slice(i + 1).flat(), 'preload'].map((f) => `./src-main/${f}`),
      message: `src-main/${folder} is in a lower layer than what it imports (layers: ${LAYERS.map((l) => l.join('/')).join(' → ')})`,
    })),
  ),
  {
    target: './src-main/shared',
    from: ALL_FOLDERS.map((f) => `./src-main/${f}`),
    message:
      'src-main/shared is plain types and rules both sides use: it imports nothing else of the project',
  },
  {
    target: './src-main/preload',
    from: ALL_FOLDERS.filter((f) => f !== 'preload').map((f) => `./src-main/${f}`),
    message: 'the preload bridge imports only src-main/shared',
  },
  {
    target: './src-renderer',
    from: ALL_FOLDERS.map((f) => `./src-main/${f}`),
    message: 'the renderer talks to the engine only through the API of src-main/shared',
  },
];

/** Who may import what (ARCHITECTURE.md "one owner per concern"). */
const OWNED = {
  electron: 'only src-main/app and src-main/preload import electron (the engine runs without it)',
  'onnxruntime-node': 'only src-main/inference imports onnxruntime-node',
  cap: 'only src-main/capture/live-capture.ts imports cap',
};
const restrictOwned = (...allowed) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: Object.entries(OWNED)
        .filter(([name]) => !allowed.includes(name))
        .map(([name, message]) => ({ name, message })),
    },
  ],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'models/training/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/prefer-literal-enum-member': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
      ...restrictOwned(),
    },
  },
  { files: ['src-main/app/**', 'src-main/preload/**'], rules: restrictOwned('electron') },
  { files: ['src-main/inference/**'], rules: restrictOwned('onnxruntime-node') },
  { files: ['src-main/capture/live-capture.ts'], rules: restrictOwned('cap') },
  // tests reach every layer (and check that the owners' modules work)
  { files: ['test/**'], rules: { 'no-restricted-imports': 'off' } },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // renderer tests import .svelte components, which only svelte-check can type (it checks these files)
    files: ['test/renderer/**/*.ts'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // build configuration: no cycles to find, and its plugin imports defeat import-x's resolver
    files: ['vite.config.ts', 'vitest.config.ts', 'svelte.config.js'],
    rules: { 'import-x/no-cycle': 'off' },
  },
);
