import { spawnSync } from 'child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { diffTrees, readTree } from '../app/output';
import { FIXTURE_SITES } from './fixtures';

/**
 * scripts/synth-bundled.js is `npm run synth`: main.ts's synth bundled, rebuilt whenever a
 * file it was built from changed. It must render what the sources render, and never run a
 * bundle whose inputs changed.
 */
const ROOT = join(__dirname, '..');
const SCRIPT = join(ROOT, 'scripts', 'synth-bundled.js');

describe('npm run synth (scripts/synth-bundled.js)', () => {
  let dir: string;
  let cache: string;
  const env = (extra: Record<string, string> = {}) => ({
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_config_') && k !== 'CDK8S_OUTDIR' && k !== 'NODE_OPTIONS')),
    SWC_REGISTER_CACHE: cache,
    ...extra,
  });
  const synth = (out: string, extra: Record<string, string> = {}, flags: string[] = []) =>
    spawnSync(process.execPath, [...flags, SCRIPT, '--sites', join(dir, 'sites'), '--out', join(dir, out)], { encoding: 'utf8', env: env(extra) });
  const bundle = () => readFileSync(join(cache, 'bundle', 'synth.js'), 'utf8');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'discourse-bundled-'));
    cache = join(dir, 'cache');
    cpSync(join(FIXTURE_SITES, 'example.yaml'), join(dir, 'sites', 'example.yaml'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('renders byte for byte what the sources render through swc-register, and the second run reuses the bundle', () => {
    // WHEN
    const first = synth('bundled');
    const built = bundle();
    const second = synth('bundled-again');
    const sources = spawnSync(
      process.execPath,
      ['-r', join(ROOT, 'scripts', 'swc-register.js'), join(ROOT, 'main.ts'), '--sites', join(dir, 'sites'), '--out', join(dir, 'sources')],
      {
        encoding: 'utf8',
        env: env(),
      },
    );
    // THEN
    expect([first.status, first.stderr, second.status, sources.status]).toEqual([0, '', 0, 0]);
    expect(diffTrees(readTree(join(dir, 'sources')), readTree(join(dir, 'bundled')))).toEqual([]);
    expect(diffTrees(readTree(join(dir, 'sources')), readTree(join(dir, 'bundled-again')))).toEqual([]);
    expect(bundle()).toBe(built);
    expect(built).toContain('"lib/discourse.ts":');
    expect(built).toContain('"node_modules/cdk8s/lib/index.js":');
  });

  test('builds again when a file it was built from no longer has the text it was built from', () => {
    // GIVEN a bundle whose list says lib/discourse.ts had other text (as after an edit)
    synth('before');
    writeFileSync(join(cache, 'bundle', 'synth.js'), bundle().replace(/"lib\/discourse\.ts":"[0-9a-f]+"/, '"lib/discourse.ts":"0000"'));
    // WHEN
    const r = synth('after');
    // THEN it rebuilt (the list has the real hash again) and rendered the same
    expect(r.status).toBe(0);
    expect(bundle()).not.toContain('"lib/discourse.ts":"0000"');
    expect(diffTrees(readTree(join(dir, 'before')), readTree(join(dir, 'after')))).toEqual([]);
  });

  test('with source maps on it runs the sources (stacks with .ts lines); usage errors exit 2', () => {
    expect(synth('mapped', {}, ['--enable-source-maps']).status).toBe(0);
    expect(diffTrees(readTree(join(dir, 'before')), readTree(join(dir, 'mapped')))).toEqual([]);
    const bad = spawnSync(process.execPath, [SCRIPT, '--bogus'], { encoding: 'utf8', env: env() });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Unknown option '--bogus'/);
  });
});
