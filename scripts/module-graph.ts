// The module graph of src/, measured: import cycles between top-level modules, imports of the wire layer
// from the domain, and database access outside repositories. Prints a report a person can read.
//
//   npm run modules              the report (exit code 0; it measures, `npm run deps` enforces)
//   npm run modules -- --json    the same figures as JSON
//   npm run modules -- --check   exits 1 when a table is queried from more than one module (one owner per
//                                table, CONTRIBUTING.md rule 2), naming the table, the modules and the files
//
// A top-level module is a folder directly under src/ (src/calls/…) or a file directly under it
// (src/context.ts is "context"). Type-only imports (`import type`, `import { type X }` only) are left out of
// the cycle count: they vanish when the code runs. The import graph comes from dependency-cruiser.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cruiseSrc, isTypeOnly, topModuleOf, type ModuleEdge } from './module-graph-lib.ts';

export type Measurement = {
  modules: string[];
  edges: ModuleEdge[];
  /** strongly connected components of more than one module (value imports), largest first */
  components: string[][];
  /** src/ files outside src/http and src/cli importing src/http */
  upwardImports: Array<{ from: string; to: string }>;
  /** files outside repositories and src/db importing kysely or src/db/schema* (value or type) */
  databaseTypeImports: Array<{ from: string; to: string }>;
  /** query building outside repositories and src/db: sql`…`, .selectFrom( … */
  sqlOutsideRepos: Array<{ file: string; line: number; text: string }>;
  /** tables whose queries sit in more than one top-level module: table -> module -> files */
  sharedTables: Array<{ table: string; modules: Record<string, string[]> }>;
};

/** A repository: the only code that may build queries and import kysely or the schema types. */
export function isRepository(path: string): boolean {
  return /(^|\/)(repo|[^/]+-repo)\.ts$/.test(path);
}

// sql`…` (with or without a type argument, over several lines), sql.raw(…), and the query builder's entries
const QUERY_PATTERN =
  /\bsql\s*(?:<[^`]*?>)?\s*`|\bsql\.(?:raw|ref|lit|id|join|table|val)\(|\.(?:selectFrom|insertInto|updateTable|deleteFrom|mergeInto|replaceInto|selectNoFrom)\(/g;
// where a query names a table: the builder's first argument, or FROM/JOIN/INTO/UPDATE in raw SQL
const TABLE_PATTERN =
  /\.(?:selectFrom|insertInto|updateTable|deleteFrom|innerJoin|leftJoin|rightJoin|fullJoin|mergeInto)\(\s*['"]([a-z_]+)|\b(?:from|join|into|update)\s+([a-z_]+)\b/gi;

function migrationTables(root: string): Set<string> {
  const tables = new Set<string>();
  for (const name of readdirSync(`${root}/db/migrations`)) {
    const text = readFileSync(`${root}/db/migrations/${name}`, 'utf8');
    for (const m of text.matchAll(/create table (?:if not exists )?([a-z_]+)/gi))
      tables.add(m[1]!.toLowerCase());
  }
  return tables;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i += 1) if (text.charCodeAt(i) === 10) line += 1;
  return line;
}

/** Tarjan's strongly connected components; returns those with more than one member. */
export function stronglyConnected(nodes: string[], edges: Array<{ from: string; to: string }>): string[][] {
  const next = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const e of edges) if (e.from !== e.to) next.get(e.from)?.push(e.to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return out.sort((a, b) => b.length - a.length || a[0]!.localeCompare(b[0]!));
}

export async function measure(): Promise<Measurement> {
  const files = await cruiseSrc();
  const modules = new Set<string>();
  const edgeMap = new Map<string, ModuleEdge>();
  const upwardImports: Measurement['upwardImports'] = [];
  const databaseTypeImports: Measurement['databaseTypeImports'] = [];
  const sqlOutsideRepos: Measurement['sqlOutsideRepos'] = [];
  for (const file of files) {
    const from = topModuleOf(file.source);
    if (from === undefined) continue;
    modules.add(from);
    const exempt = isRepository(file.source) || file.source.startsWith('src/db/');
    for (const dep of file.dependencies) {
      const target = dep.resolved;
      if (
        !exempt &&
        (dep.module === 'kysely' ||
          dep.module.startsWith('kysely/') ||
          /^src\/db\/schema[^/]*\.ts$/.test(target))
      ) {
        databaseTypeImports.push({ from: file.source, to: dep.module === 'kysely' ? 'kysely' : target });
      }
      if (!/^src\/(http|cli)\//.test(file.source) && target.startsWith('src/http/')) {
        upwardImports.push({ from: file.source, to: target });
      }
      const to = topModuleOf(target);
      if (to === undefined || to === from || isTypeOnly(dep)) continue;
      const key = `${from}\0${to}`;
      const edge = edgeMap.get(key) ?? { from, to, via: [] };
      edge.via.push(`${file.source} -> ${target}`);
      edgeMap.set(key, edge);
    }
    if (file.source.startsWith('src/db/') || !file.source.endsWith('.ts')) continue;
    const text = readFileSync(file.source, 'utf8');
    const code = withoutComments(text);
    if (!exempt) {
      for (const m of code.matchAll(QUERY_PATTERN)) {
        const line = lineOf(code, m.index);
        sqlOutsideRepos.push({ file: file.source, line, text: text.split('\n')[line - 1]!.trim() });
      }
    }
  }
  const edges = [...edgeMap.values()].sort(
    (a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to),
  );
  const sortedModules = [...modules].sort();
  return {
    modules: sortedModules,
    edges,
    components: stronglyConnected(sortedModules, edges),
    upwardImports,
    databaseTypeImports,
    sqlOutsideRepos,
    sharedTables: sharedTablesIn('src'),
  };
}

/** Comment lines blanked, offsets kept. */
function withoutComments(text: string): string {
  return text.replace(/^\s*(\/\/|\*).*$/gm, (c) => ' '.repeat(c.length));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/**
 * Tables named by queries in more than one top-level module of `root` (a folder laid out like src/, with its
 * migrations in db/migrations): table -> module -> files (paths as given by `root`). A query names a table
 * where the query builder's first argument or raw SQL's FROM/JOIN/INTO/UPDATE does; the tables are those
 * the migrations create; src/db/ is left out (it migrates every table).
 */
export function sharedTablesIn(root: string): Measurement['sharedTables'] {
  const tables = migrationTables(root);
  const tableUse = new Map<string, Map<string, Set<string>>>();
  for (const path of sourceFiles(root).sort()) {
    const inRoot = relative(root, path);
    if (inRoot.startsWith('db/')) continue;
    const module = inRoot.split('/')[0]!.replace(/\.ts$/, '');
    const code = withoutComments(readFileSync(path, 'utf8'));
    QUERY_PATTERN.lastIndex = 0;
    if (!QUERY_PATTERN.test(code)) continue;
    for (const m of code.matchAll(TABLE_PATTERN)) {
      const table = (m[1] ?? m[2]!).toLowerCase();
      if (!tables.has(table)) continue;
      const byModule = tableUse.get(table) ?? new Map<string, Set<string>>();
      const files = byModule.get(module) ?? new Set<string>();
      files.add(path);
      byModule.set(module, files);
      tableUse.set(table, byModule);
    }
  }
  QUERY_PATTERN.lastIndex = 0;
  return [...tableUse.entries()]
    .filter(([, byModule]) => byModule.size > 1)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([table, byModule]) => ({
      table,
      modules: Object.fromEntries(
        [...byModule.entries()].sort().map(([mod, files]) => [mod, [...files].sort()]),
      ),
    }));
}

/** The failure `--check` prints: one paragraph per table, the modules that query it and their files. */
export function describeSharedTables(shared: Measurement['sharedTables']): string {
  return shared
    .map(
      (t) =>
        `table ${t.table} is queried from ${Object.keys(t.modules).length} modules (one owner per table: ` +
        `move these queries into the owner's repository, or compose a query piece it exports):\n` +
        Object.entries(t.modules)
          .map(([mod, files]) => `  ${mod}: ${files.join(', ')}`)
          .join('\n'),
    )
    .join('\n');
}

function printReport(m: Measurement): void {
  const inCycle = new Set(m.components.flat());
  const out: string[] = [];
  out.push(`top-level modules: ${m.modules.length}; module dependencies (value imports): ${m.edges.length}`);
  out.push(
    `import cycles: ${m.components.length} strongly connected component(s)` +
      (m.components.length ? ` of sizes ${m.components.map((c) => c.length).join(', ')}` : ''),
  );
  for (const c of m.components) {
    out.push(`  [${c.length}] ${c.join(' ')}`);
    for (const e of m.edges) {
      if (c.includes(e.from) && c.includes(e.to))
        out.push(
          `      ${e.from} -> ${e.to}   (${e.via[0]}${e.via.length > 1 ? ` +${e.via.length - 1}` : ''})`,
        );
    }
  }
  out.push(`upward imports (domain -> src/http): ${m.upwardImports.length}`);
  for (const u of m.upwardImports) out.push(`  ${u.from} -> ${u.to}`);
  const dbFiles = new Set(m.databaseTypeImports.map((d) => d.from));
  out.push(`files importing kysely or src/db/schema* outside repositories and src/db: ${dbFiles.size}`);
  for (const f of [...dbFiles].sort()) {
    out.push(
      `  ${f}: ${m.databaseTypeImports
        .filter((d) => d.from === f)
        .map((d) => d.to)
        .join(', ')}`,
    );
  }
  const sqlFiles = new Set(m.sqlOutsideRepos.map((s) => s.file));
  out.push(
    `query building outside repositories and src/db: ${m.sqlOutsideRepos.length} site(s) in ${sqlFiles.size} file(s)`,
  );
  for (const s of m.sqlOutsideRepos) out.push(`  ${s.file}:${s.line}  ${s.text.slice(0, 100)}`);
  out.push(`tables queried from more than one module: ${m.sharedTables.length}`);
  for (const t of m.sharedTables) {
    out.push(
      `  ${t.table}: ${Object.entries(t.modules)
        .map(([mod, files]) => `${mod} (${files.map((f) => f.replace(/^src\//, '')).join(' ')})`)
        .join('; ')}`,
    );
  }
  if (inCycle.size === 0) out.push('the top-level module graph is acyclic');
  console.log(out.join('\n'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--check')) {
    const shared = sharedTablesIn('src');
    if (shared.length > 0) {
      console.error(describeSharedTables(shared));
      console.error(`${shared.length} table(s) queried from more than one module (CONTRIBUTING.md rule 2)`);
      process.exit(1);
    }
    console.log('every table is queried from its owning module only');
  } else {
    const m = await measure();
    if (process.argv.includes('--json')) console.log(JSON.stringify(m, null, 2));
    else printReport(m);
  }
}
