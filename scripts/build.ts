import { spawnSync } from 'child_process';
import { build } from 'esbuild';
import { chmodSync, copyFileSync, readFileSync, rmSync } from 'fs';
import { dirname, join } from 'path';

/**
 * `npm run build` (and `prepack`, so `npm pack` always ships a fresh one) writes build/:
 * - tsc's output of lib/, app/ and imports/ (tsconfig.build.json): the library
 *   (`import { Discourse } from 'discourse-cdk8s'`) and `discourse-cdk8s/sites`, with
 *   declarations and source maps;
 * - build/cli-bundle.js: app/bin.ts and everything it runs (cdk8s, constructs, yaml, the
 *   Kubernetes imports) in one file, so a run loads one module instead of about a hundred,
 *   and only the `Cpu` of cdk8s-plus-28 (scripts/build/cdk8s-plus-cpu.ts) instead of all
 *   of it; cdk8s's own copy of yaml is the same version as ours and is bundled once.
 *   Commands are `require`d lazily in app/cli.ts; esbuild keeps them as functions that
 *   run on first use;
 * - build/cli.js, the `discourse-cdk8s` executable (scripts/build/launcher.js): runs the
 *   bundle with V8's code cache.
 */
const ROOT = join(__dirname, '..');

export async function buildPackage(): Promise<void> {
  rmSync(join(ROOT, 'build'), { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed:\n${tsc.stdout}${tsc.stderr}`);
  const out = join(ROOT, 'build', 'cli-bundle.js');
  const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string; main: string };
  const ourYaml = dirname(require.resolve('yaml/package.json', { paths: [ROOT] }));
  const cdk8sYaml = dirname(require.resolve('yaml/package.json', { paths: [dirname(require.resolve('cdk8s', { paths: [ROOT] }))] }));
  const oneYaml = manifest(ourYaml).version === manifest(cdk8sYaml).version;
  await build({
    entryPoints: [join(ROOT, 'app', 'bin.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    // Source maps name the repository's files, relative to build/, not this machine's paths.
    sourceRoot: '',
    legalComments: 'linked',
    // Class names are kept: cdk8s and constructs report them in errors.
    keepNames: true,
    logLevel: 'warning',
    plugins: [
      {
        name: 'cdk8s-plus-cpu',
        setup(b) {
          b.onResolve({ filter: /^cdk8s-plus-28$/ }, () => ({ path: join(ROOT, 'scripts', 'build', 'cdk8s-plus-cpu.ts') }));
          if (oneYaml) b.onResolve({ filter: /^yaml$/ }, () => ({ path: join(ourYaml, manifest(ourYaml).main) }));
        },
      },
    ],
  });
  const cli = join(ROOT, 'build', 'cli.js');
  copyFileSync(join(ROOT, 'scripts', 'build', 'launcher.js'), cli);
  chmodSync(cli, 0o755);
}

if (require.main === module) {
  buildPackage().then(
    () => process.stdout.write('wrote build/ (tsc: lib, app, imports; esbuild: build/cli.js)\n'),
    (e: Error) => {
      process.stderr.write(`build: ${e.message}\n`);
      process.exitCode = 1;
    },
  );
}
