// Import rules for src/ (`npm run check:cycles`, run in CI after the type check): no import
// cycle, and no controller or middleware importing a controller, the habit that made the last one.
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
    {
      name: 'no-controller-imports-controller',
      severity: 'error',
      comment:
        'How the web cycle began: helpers shared by controllers lived in one of them. Shared web helpers go in a module of their own (src/web/*.ts); only routes.ts imports controllers.',
      from: { path: '^src/web/(controllers|middleware)/' },
      to: { path: '^src/web/controllers/[^/]+-controller[.]ts$' },
    },
    {
      name: 'sql-only-in-db',
      severity: 'error',
      comment:
        'All SQL lives in the store layer (src/db/stores/): only src/db/ (the stores, the database and the migration runner) and the composition root may import knex or a database driver. Elsewhere take a Queryable (src/db/queryable.ts) and call a store method.',
      from: { path: '^src/', pathNot: '^src/(db/|composition[.]ts$)' },
      to: { path: '(^|/)node_modules/(knex|knex-pglite|pg|@electric-sql/pglite)/' },
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
