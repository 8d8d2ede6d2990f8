#!/usr/bin/env node
// @ts-check
'use strict';
/**
 * The `discourse-cdk8s` executable: runs the bundled CLI (cli-bundle.js, app/bin.ts and all it
 * uses in one file) with V8's code cache, so that a run after the first skips parsing and
 * compiling most of it. On Node 22.1 and later that is Node's own module.enableCompileCache();
 * on Node 20, the same by hand: the cache entry is named by a hash of Node's version and the
 * bundle's text, and V8 checks it against its own version and flags and ignores it on any
 * mismatch, so it can make a run faster, never different. The cache is
 * $DISCOURSE_CDK8S_CACHE, else $XDG_CACHE_HOME/discourse-cdk8s/v8 (~/.cache/...); when it
 * cannot be written the CLI runs without it. Copied to build/cli.js by scripts/build.ts, and
 * used by scripts/synth-bundled.js (`npm run synth`) for its own bundle.
 */
const Module = require('module');
const { join } = require('path');

/**
 * Runs `bundle` (a CommonJS file) as a module, with the code cache in `cacheDir`.
 * @param {string} bundle
 * @param {string} cacheDir
 */
function runBundle(bundle, cacheDir) {
  if (typeof Module.enableCompileCache === 'function') {
    Module.enableCompileCache(cacheDir);
    require(bundle);
    return;
  }
  const { createHash } = require('crypto');
  const fs = require('fs');
  const vm = require('vm');
  const source = fs.readFileSync(bundle, 'utf8');
  const entry = join(cacheDir, `${createHash('sha256').update(`${process.version}\0${process.arch}\0`).update(source).digest('hex').slice(0, 32)}.cache`);
  /** @type {Buffer | undefined} */
  let cachedData;
  try {
    cachedData = fs.readFileSync(entry);
  } catch {
    // no entry yet: this run makes it
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  const main = new Module(bundle, module);
  main.filename = bundle;
  // @ts-expect-error Node's own lookup paths, as its loader sets them
  main.paths = Module._nodeModulePaths(join(bundle, '..'));
  script.runInThisContext().call(main.exports, main.exports, Module.createRequire(bundle), main, bundle, join(bundle, '..'));
  // The CLI is synchronous: its work is done here, so the cache now holds every function it compiled.
  if (cachedData === undefined || script.cachedDataRejected) {
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      const temporary = `${entry}.${process.pid}`;
      fs.writeFileSync(temporary, script.createCachedData());
      fs.renameSync(temporary, entry);
    } catch {
      // a read-only home: run without the cache
    }
  }
}

module.exports = { runBundle };

if (require.main === module) {
  const { homedir } = require('os');
  const cache = process.env.DISCOURSE_CDK8S_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'discourse-cdk8s', 'v8');
  runBundle(join(__dirname, 'cli-bundle.js'), cache);
}
