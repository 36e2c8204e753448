// Shared by scripts/module-graph.ts (the measurement) and scripts/graph.ts (the README diagram): one
// dependency-cruiser run over src/, and what a top-level module is.
import { cruise, type ICruiseResult, type IDependency, type IModule } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

export type ModuleEdge = { from: string; to: string; via: string[] };

/** Every file under `roots` with its resolved dependencies (type-only ones included and marked). */
export async function cruiseSrc(roots: string[] = ['src']): Promise<IModule[]> {
  const result = await cruise(
    roots,
    {
      doNotFollow: { path: 'node_modules' },
      tsPreCompilationDeps: true,
      // the dependency-rules config is not used here: this is the raw graph
      validate: false,
    },
    undefined,
    { tsConfig: extractTSConfig('tsconfig.json') },
  );
  const output = result.output as ICruiseResult;
  return output.modules.filter((m) => m.source.startsWith('src/'));
}

/** `src/calls/rerate.ts` -> `calls`, `src/context.ts` -> `context`; undefined outside src/. */
export function topModuleOf(path: string): string | undefined {
  const match = /^src\/([^/]+?)(?:\.ts)?(?:\/|$)/.exec(path);
  return match?.[1];
}

/** An import that vanishes when the code runs: `import type`, `import { type X }` only, `import('x').T`. */
export function isTypeOnly(dep: IDependency): boolean {
  return dep.dependencyTypes.some(
    (t) => t === 'type-only' || t === 'type-import' || t.startsWith('triple-slash'),
  );
}
