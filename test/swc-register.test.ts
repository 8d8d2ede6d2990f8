import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'fs';
import { join } from 'path';

/**
 * scripts/swc-register.js runs the TypeScript sources for `npm run synth` without
 * type-checking; its promise is that it never runs stale code.
 */

const ROOT = join(__dirname, '..');
const REGISTER = join(ROOT, 'scripts', 'swc-register.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { SWC_OPTIONS } = require(REGISTER) as { SWC_OPTIONS: { module: { type: string; noInterop: boolean }; jsc: { target: string } } };

describe('swc-register', () => {
  // Sources must be inside the repository (dependencies are never transpiled): a scratch folder in .cache/.
  let dir: string;
  let cache: string;
  beforeEach(() => {
    mkdirSync(join(ROOT, '.cache'), { recursive: true });
    dir = mkdtempSync(join(ROOT, '.cache', 'register-test-'));
    cache = join(dir, 'cache');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (file: string, flags: string[] = []) =>
    spawnSync(process.execPath, [...flags, '-r', REGISTER, file], { encoding: 'utf8', env: { ...process.env, SWC_REGISTER_CACHE: cache } });

  test('compiles as tsconfig.json says (ES2022, CommonJS with esModuleInterop)', () => {
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')).compilerOptions;
    expect(SWC_OPTIONS.jsc.target).toBe(tsconfig.target.toLowerCase());
    expect(SWC_OPTIONS.module.type).toBe(tsconfig.module.toLowerCase());
    expect(SWC_OPTIONS.module.noInterop).toBe(!tsconfig.esModuleInterop);
  });

  test('an edit is always run, even one of the same length with the old modification time', () => {
    // GIVEN a file run once (so cached)
    const file = join(dir, 'main.ts');
    writeFileSync(file, "const n: number = 1;\nconsole.log('n =', n);\n");
    expect(run(file).stdout).toBe('n = 1\n');
    const { atime, mtime } = statSync(file);
    // WHEN it changes without changing its size or time
    writeFileSync(file, "const n: number = 2;\nconsole.log('n =', n);\n");
    utimesSync(file, atime, mtime);
    // THEN the new text runs, and the cache keeps one version of the file
    expect(run(file).stdout).toBe('n = 2\n');
    // (node_modules/: the dependencies' code cache, here @swc/core's own JavaScript)
    expect(
      readdirSync(cache)
        .filter((d) => d !== 'node_modules')
        .map((d) => new Set(readdirSync(join(cache, d)).map((f) => f.split('.')[0])).size),
    ).toEqual([1]);
  });

  test('a stale .js next to a .ts is never loaded in its place', () => {
    writeFileSync(join(dir, 'lib.ts'), "export const where: string = 'ts';\n");
    writeFileSync(join(dir, 'lib.js'), "exports.where = 'stale js';\n");
    writeFileSync(join(dir, 'main.ts'), "import { where } from './lib';\nconsole.log(where);\n");
    expect(run(join(dir, 'main.ts')).stdout).toBe('ts\n');
  });

  test('with --enable-source-maps, stack traces point into the .ts source', () => {
    // Ten lines of types that the JavaScript does not have, then the throw on line 12.
    const types = Array.from({ length: 10 }, (_, i) => `type T${i} = number;`).join('\n');
    writeFileSync(join(dir, 'main.ts'), `${types}\nconst x: T0 = 1;\nthrow new Error(\`boom \${x}\`);\n`);
    const result = run(join(dir, 'main.ts'), ['--enable-source-maps']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/main\.ts:12/);
    // without the flag the line is the JavaScript's (documented), but the file is still the .ts
    expect(run(join(dir, 'main.ts')).stderr).toMatch(/main\.ts:\d+/);
  });

  test('a second run reads the transpiled code and V8 code cache instead of compiling', () => {
    writeFileSync(join(dir, 'main.ts'), 'const f = (x: number): number => x * 2;\nconsole.log(f(21), require.main === module);\n');
    expect(run(join(dir, 'main.ts')).stdout).toBe('42 true\n');
    const [folder] = readdirSync(cache);
    expect(
      readdirSync(join(cache, folder))
        .map((f) => f.replace(/^[0-9a-f]+/, '<hash>'))
        .sort(),
    ).toEqual(['<hash>.js', '<hash>.js.map', '<hash>.v8']);
    expect(run(join(dir, 'main.ts')).stdout).toBe('42 true\n');
  });

  test('a cache that cannot be written still runs the code', () => {
    writeFileSync(cache, 'a file where the cache folder would be');
    writeFileSync(join(dir, 'main.ts'), "console.log('ran');\n");
    expect(run(join(dir, 'main.ts')).stdout).toBe('ran\n');
  });
});
