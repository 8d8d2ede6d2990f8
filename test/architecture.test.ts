import { readFileSync, readdirSync } from 'fs';
import { dirname, join, normalize, relative } from 'path';

/**
 * The layout as a tested property: `lib/` is the library a TypeScript user imports and
 * never reaches into `app/` (site files, synth, CLI, converters); no file imports itself
 * back through others; and lib/'s folders are floors: a folder imports only the folders
 * below it, so what a folder is for shows in where it stands.
 */

const ROOT = join(__dirname, '..');
const FOLDERS = ['lib', 'app'];

/**
 * lib/'s folders from the ground up. A file may import its own folder and the folders
 * before it; lib/discourse.ts (the forum, composing them all) and lib/index.ts stand above.
 */
const LIB_FLOORS = ['core', 'model', 'pebble', 'gitops', 'workload', 'data', 'routing', 'observability'];

/** Every .ts file under `folder` (relative to the root, with .ts). */
function sources(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `${folder}/${f}`)
    .sort();
}

/** file (relative to the root, without .ts) → the project files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of FOLDERS.flatMap(sources)) {
    const from = file.slice(0, -3);
    const text = readFileSync(join(ROOT, file), 'utf8');
    const targets = [...text.matchAll(/(?:import|export)[^'"]*?from '(\.[^']+)'/g)]
      .map((m) => relative(ROOT, normalize(join(ROOT, dirname(from), m[1]))))
      .filter((t) => FOLDERS.some((f) => t.startsWith(`${f}/`)));
    graph.set(from, [...new Set(targets)]);
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

/** The floor of a lib/ file: its folder's place in LIB_FLOORS; the top-level files stand above them all. */
function floorOf(file: string): number {
  const parts = file.split('/');
  return parts.length === 2 ? LIB_FLOORS.length : LIB_FLOORS.indexOf(parts[1]);
}

/** Imports in lib/ that reach a higher floor than the importing file's. */
function upwardImports(graph: Map<string, string[]>): string[] {
  return [...graph].flatMap(([from, to]) =>
    from.startsWith('lib/') ? to.filter((t) => t.startsWith('lib/') && floorOf(t) > floorOf(from)).map((t) => `${from} → ${t}`) : [],
  );
}

describe('architecture', () => {
  const graph = importGraph();

  test('the graph was read (the test sees the imports)', () => {
    expect(graph.get('lib/discourse')).toEqual(expect.arrayContaining(['lib/workload/workload', 'lib/workload/one-shot']));
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

  test('every file of lib/ is in a folder of LIB_FLOORS, or is lib/discourse.ts or lib/index.ts', () => {
    const stray = sources('lib').filter((f) => !['lib/discourse.ts', 'lib/index.ts'].includes(f) && floorOf(f) < 0);
    expect(stray).toEqual([]);
  });

  test("no file of lib/ imports a folder above its own (the floors' order: " + LIB_FLOORS.join(' < ') + ')', () => {
    expect(upwardImports(graph)).toEqual([]);
  });

  test('the floor check finds an upward import', () => {
    expect(upwardImports(new Map([['lib/core/units', ['lib/model/config', 'lib/core/paths']]]))).toEqual(['lib/core/units → lib/model/config']);
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
    const page = readFileSync(join(ROOT, 'docs', 'development.md'), 'utf8');
    const files = FOLDERS.flatMap(sources).filter((f) => f !== 'lib/index.ts');
    expect(files.filter((f) => !page.includes(`\`${f}\``))).toEqual([]);
  });

  test('lib/index.ts exports every library module and nothing of the app', () => {
    const index = readFileSync(join(ROOT, 'lib', 'index.ts'), 'utf8');
    const exported = [...index.matchAll(/export \* from '\.\/([^']+)'/g)].map((m) => m[1]).sort();
    const modules = sources('lib')
      .filter((f) => f !== 'lib/index.ts')
      .map((f) => f.slice('lib/'.length, -3))
      .sort();
    expect(index.replace(/^\s*(\/\/.*|export \* from '[^']+';)?\s*$/gm, '').trim()).toBe('');
    expect(exported).toEqual(modules);
  });
});
