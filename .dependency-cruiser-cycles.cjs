// Import cycles between the folders of src/, on the graph the code runs with: type-only imports
// (`import type`) are left out, as TypeScript leaves them out of the emitted code, so a module may name
// another's types without depending on it. The other rules (.dependency-cruiser.cjs) see type imports too.
const base = require('./.dependency-cruiser.cjs');

module.exports = {
  forbidden: [
    {
      name: 'module-cycle',
      severity: 'error',
      comment:
        'No import cycle between folders of src/ (top-level modules and their subfolders). A module that must ' +
        'make another react emits an event (src/shared/events.ts) instead of importing it.',
      scope: 'folder',
      from: { path: '(?:^|/)src/' },
      to: { circular: true },
    },
  ],
  options: { ...base.options, tsPreCompilationDeps: false },
};
