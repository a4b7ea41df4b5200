// Import-cycle check for src/ (`npm run check:cycles`, also run in CI).
// Type-only imports count too: a type cycle still ties the modules together for a reader and
// turns into a runtime cycle the moment someone imports a value along the same edge.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules in src/ must not import each other in a cycle; move the shared piece to a module of its own.',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js'],
    },
  },
};
