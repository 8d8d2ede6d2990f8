import { readFileSync, readdirSync } from 'fs';
import { dirname, join, normalize, relative } from 'path';

/**
 * The layout as a tested property: `lib/` is the library a TypeScript user imports and
 * never reaches into `app/` (site files, synth, CLI, converters); no file imports itself
 * back through others.
 */

const ROOT = join(__dirname, '..');
const FOLDERS = ['lib', 'app'];

/** file (relative to the root, without .ts) → the project files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const folder of FOLDERS) {
    for (const file of readdirSync(join(ROOT, folder)).filter((f) => f.endsWith('.ts'))) {
      const from = `${folder}/${file.slice(0, -3)}`;
      const text = readFileSync(join(ROOT, folder, file), 'utf8');
      const targets = [...text.matchAll(/(?:import|export)[^'"]*?from '(\.[^']+)'/g)]
        .map((m) => relative(ROOT, normalize(join(ROOT, dirname(from), m[1]))))
        .filter((t) => FOLDERS.some((f) => t.startsWith(`${f}/`)));
      graph.set(from, [...new Set(targets)]);
    }
  }
  return graph;
}

/** Every cycle's files, each cycle once, from Tarjan's strongly connected components. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('architecture', () => {
  const graph = importGraph();

  test('the graph was read (the test sees the imports)', () => {
    expect(graph.get('lib/discourse')).toEqual(expect.arrayContaining(['lib/workload', 'lib/one-shot']));
  });

  test('no import cycle in lib/ or app/', () => {
    expect(cycles(graph)).toEqual([]);
  });

  test('the cycle finder finds a cycle', () => {
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c']]);
  });

  test('the library never imports the app', () => {
    const wrong = [...graph].flatMap(([from, to]) => (from.startsWith('lib/') ? to.filter((t) => t.startsWith('app/')).map((t) => `${from} → ${t}`) : []));
    expect(wrong).toEqual([]);
  });

  test("no test reads the user's sites/ or dist/ (tests render fixtures they own)", () => {
    const readers = readdirSync(join(ROOT, 'test'))
      .filter((f) => f.endsWith('.ts') && f !== 'architecture.test.ts')
      .filter((f) => /(ROOT|'\.\.'), '(sites|dist)'/.test(readFileSync(join(ROOT, 'test', f), 'utf8')));
    expect(readers).toEqual([]);
  });

  test("docs/development.md's layout table names every file of lib/ and app/ (the overview stays current)", () => {
    const readme = readFileSync(join(ROOT, 'docs', 'development.md'), 'utf8');
    const files = FOLDERS.flatMap((folder) =>
      readdirSync(join(ROOT, folder))
        .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
        .map((f) => `${folder}/${f}`),
    );
    expect(files.filter((f) => !readme.includes(`\`${f}\``))).toEqual([]);
  });

  test('lib/index.ts exports every library module and nothing of the app', () => {
    const index = readFileSync(join(ROOT, 'lib', 'index.ts'), 'utf8');
    const exported = [...index.matchAll(/export \* from '\.\/([^']+)'/g)].map((m) => m[1]).sort();
    const modules = readdirSync(join(ROOT, 'lib'))
      .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
      .map((f) => f.slice(0, -3))
      .sort();
    expect(index.replace(/^\s*(\/\/.*|export \* from '[^']+';)?\s*$/gm, '').trim()).toBe('');
    expect(exported).toEqual(modules);
  });
});
