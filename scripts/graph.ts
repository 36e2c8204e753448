// The module graph of the README's Architecture section, drawn from the code: dependency-cruiser's import
// graph of src/ collapsed to top-level modules (value imports; type-only ones left out), as Mermaid.
//
//   npm run graph            rewrites docs/module-graph.mmd and the diagram between the README's markers
//   npm run graph -- --check exits 1 when either differs from what the code gives
//
// An arrow A --> B means some file of A imports some file of B. Arrows implied by a longer path are left out
// (transitive reduction), so the picture shows the layers; `npm run modules` lists every dependency.
import { readFileSync, writeFileSync } from 'node:fs';
import { measure } from './module-graph.ts';

const README = 'README.md';
const START = '<!-- module-graph:start (npm run graph) -->';
const END = '<!-- module-graph:end -->';

function reduce(
  nodes: string[],
  edges: Array<{ from: string; to: string }>,
): Array<{ from: string; to: string }> {
  const next = new Map<string, Set<string>>(nodes.map((n) => [n, new Set()]));
  for (const e of edges) next.get(e.from)!.add(e.to);
  // reachable from `from` without taking the direct arrow from -> to
  const reachesOtherwise = (from: string, to: string): boolean => {
    const seen = new Set<string>();
    const stack = [...next.get(from)!].filter((n) => n !== to);
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n === to) return true;
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(...next.get(n)!);
    }
    return false;
  };
  return edges.filter((e) => !reachesOtherwise(e.from, e.to));
}

const id = (module: string): string => module.replace(/[^a-zA-Z0-9]/g, '_');

export async function mermaid(): Promise<string> {
  const m = await measure();
  const cyclic = new Set(m.components.flat());
  // With a cycle the reduction would hide arrows of it: then every arrow is drawn and the cycle is marked.
  const edges = m.components.length === 0 ? reduce(m.modules, m.edges) : m.edges;
  const lines = ['flowchart TD'];
  for (const module of m.modules) lines.push(`  ${id(module)}[${module}]`);
  for (const e of edges) lines.push(`  ${id(e.from)} --> ${id(e.to)}`);
  if (cyclic.size > 0) {
    lines.push('  classDef cycle fill:#fdd,stroke:#c00');
    lines.push(`  class ${[...cyclic].map(id).join(',')} cycle`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const diagram = await mermaid();
  const readme = readFileSync(README, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${README} has no ${START} … ${END} markers`);
  const nextReadme = `${readme.slice(0, start + START.length)}\n\`\`\`mermaid\n${diagram}\`\`\`\n${readme.slice(end)}`;
  let current = '';
  try {
    current = readFileSync('docs/module-graph.mmd', 'utf8');
  } catch {
    // first run
  }
  if (process.argv.includes('--check')) {
    if (current !== diagram || nextReadme !== readme) {
      console.error(
        'the module graph changed: run npm run graph and commit docs/module-graph.mmd and README.md',
      );
      process.exit(1);
    }
    return;
  }
  writeFileSync('docs/module-graph.mmd', diagram);
  writeFileSync(README, nextReadme);
  console.log(
    `docs/module-graph.mmd and ${README}: ${diagram.split('\n').filter((l) => l.includes('-->')).length} arrows`,
  );
}

await main();
