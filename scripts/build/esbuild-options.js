// @ts-check
'use strict';
/**
 * What the package's CLI bundle (scripts/build.ts) and `npm run synth`'s bundle
 * (scripts/synth-bundled.js) share: esbuild's options and the two substitutions that keep the
 * bundle small. `cdk8s-plus-28` becomes scripts/build/cdk8s-plus-cpu.ts (its `Cpu` is all
 * the site pipeline uses of it; test/package-build.test.ts holds the two together); cdk8s's
 * bundled copy of yaml becomes ours when the versions are the same, so yaml is bundled once.
 */
const { readFileSync } = require('fs');
const { dirname, join } = require('path');

/** @param {string} root the repository */
function bundleOptions(root) {
  /** @param {string} dir */
  const manifest = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const ourYaml = dirname(require.resolve('yaml/package.json', { paths: [root] }));
  const cdk8sYaml = dirname(require.resolve('yaml/package.json', { paths: [dirname(require.resolve('cdk8s', { paths: [root] }))] }));
  const oneYaml = manifest(ourYaml).version === manifest(cdk8sYaml).version;
  return {
    bundle: true,
    platform: /** @type {const} */ ('node'),
    target: 'node20',
    format: /** @type {const} */ ('cjs'),
    // Class names are kept: cdk8s and constructs report them in errors.
    keepNames: true,
    logLevel: /** @type {const} */ ('warning'),
    absWorkingDir: root,
    plugins: [
      {
        name: 'cdk8s-plus-cpu-and-one-yaml',
        /** @param {import('esbuild').PluginBuild} b */
        setup(b) {
          b.onResolve({ filter: /^cdk8s-plus-28$/ }, () => ({ path: join(root, 'scripts', 'build', 'cdk8s-plus-cpu.ts') }));
          if (oneYaml) b.onResolve({ filter: /^yaml$/ }, () => ({ path: join(ourYaml, manifest(ourYaml).main) }));
        },
      },
    ],
  };
}

module.exports = { bundleOptions };
