// @ts-check
'use strict';
/**
 * `node -r ./scripts/swc-register.js main.ts`: runs the TypeScript sources of this
 * repository without type-checking them (`npm test` and the editor do that), through
 * @swc/core, with a cache on disk so that a run transpiles only what changed.
 *
 * It can never run stale code: every time a .ts file is loaded its current text is
 * read and hashed together with its path, the compiler version and options, and the
 * cached JavaScript is looked up by that hash. An edit, a checkout or a new @swc/core
 * gives a new hash, so a fresh transpile; nothing relies on modification times. Cache
 * entries are written to a temporary file and renamed, so a reader never sees half of
 * one. The cache is .cache/swc/ (gitignored; delete it any time), or $SWC_REGISTER_CACHE.
 *
 * Next to each entry, V8's code cache for it (what V8 compiled of it in the first run),
 * so later runs skip parsing and compiling it too. V8 checks that data against the
 * exact script text and its own version and flags and ignores it on any mismatch, and
 * the text is fixed by the hash: it can only make a run faster, never different.
 *
 * Source maps are written beside the entries; run with `node --enable-source-maps` (or
 * NODE_OPTIONS=--enable-source-maps npm run synth) for stacks with .ts lines. They are
 * not on by default: Node would then read and parse the source map of every module it
 * loads, cdk8s's too, which costs a third of synth's own time. A .js file next to a .ts
 * file of this repository (tsc emit, say) is never loaded in its place: the .ts wins.
 */
const { createHash } = require('crypto');
const { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } = require('fs');
const Module = require('module');
const { dirname, join, relative, sep } = require('path');
const vm = require('vm');

const ROOT = dirname(__dirname);
const CACHE = process.env.SWC_REGISTER_CACHE || join(ROOT, '.cache', 'swc');
/** Bump when this file changes what it writes. */
const FORMAT = 3;

/** Mirrors tsconfig.json (target ES2022, CommonJS, esModuleInterop); test/swc-register.test.ts holds them together. */
const SWC_OPTIONS = {
  swcrc: false,
  configFile: false,
  sourceMaps: true,
  module: { type: 'commonjs', noInterop: false, strictMode: true },
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript' },
    keepClassNames: true,
    transform: { useDefineForClassFields: true },
  },
};

/** @type {typeof import('@swc/core') | undefined} */
let swc;
/** @type {string | undefined} */
let salt;

/** The @swc/core version and our options: part of every key, so a new compiler never reuses old output. */
function compilerSalt() {
  if (salt === undefined) {
    const { version } = JSON.parse(readFileSync(require.resolve('@swc/core/package.json'), 'utf8'));
    salt = `${FORMAT}\0${version}\0${JSON.stringify(SWC_OPTIONS)}\0`;
  }
  return salt;
}

/** Writes `data` to `file` whole or not at all; a cache that cannot be written only makes runs slower. */
function writeAtomically(file, data) {
  try {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch {
    // a read-only checkout still runs, it only transpiles every time
  }
}

/**
 * The JavaScript for `filename` whose text is `source`, and where its entry lives: from
 * the cache when this exact text was transpiled before by this exact compiler, else
 * transpiled now and cached.
 * @param {string} source
 * @param {string} filename
 * @returns {{ code: string, entry: string }}
 */
function transpile(source, filename) {
  const rel = relative(ROOT, filename);
  const hash = createHash('sha256').update(compilerSalt()).update(rel).update('\0').update(source).digest('hex').slice(0, 32);
  // One folder per source file: on a miss, older versions of the same file are removed, so the cache stays small.
  const dir = join(CACHE, rel.split(sep).join('+'));
  const entry = join(dir, hash);
  try {
    return { code: readFileSync(`${entry}.js`, 'utf8'), entry };
  } catch {
    // not cached yet
  }
  swc ??= require('@swc/core');
  const out = swc.transformSync(source, { ...SWC_OPTIONS, filename });
  const code = out.code;
  try {
    mkdirSync(dir, { recursive: true });
    for (const old of readdirSync(dir)) if (!old.startsWith(hash)) rmSync(join(dir, old), { force: true });
  } catch {
    // see writeAtomically
  }
  if (out.map) writeAtomically(`${entry}.js.map`, out.map);
  writeAtomically(`${entry}.js`, code);
  return { code, entry };
}

/** Scripts compiled without accepted code cache: their cache is written when the process exits. */
const uncached = new Map();

/**
 * Runs `code` as the CommonJS module `module`, as Module.prototype._compile does, but
 * compiled with the V8 code cache of `entry` when there is one.
 */
function runModule(module, code, filename, entry) {
  let cachedData;
  try {
    cachedData = readFileSync(`${entry}.v8`);
  } catch {
    // first run of this text
  }
  const script = new vm.Script(Module.wrap(code), { filename, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) uncached.set(entry, script);
  const require = (id) => module.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, module);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  const fn = script.runInThisContext({ displayErrors: true });
  return fn.call(module.exports, module.exports, require, module, filename, dirname(filename));
}

process.on('exit', () => {
  // After the run, so the data holds the functions that ran, not only the top level.
  for (const [entry, script] of uncached) writeAtomically(`${entry}.v8`, script.createCachedData());
});

/** Files of this repository (not of a dependency), where .ts sources live. */
const ours = (filename) => filename.startsWith(ROOT + sep) && !filename.includes(`${sep}node_modules${sep}`);

const loadJs = Module._extensions['.js'];

function loadTs(module, filename) {
  if (!ours(filename)) return loadJs(module, filename);
  const { code, entry } = transpile(readFileSync(filename, 'utf8'), filename);
  if (process.sourceMapsEnabled) {
    // Node maps the stacks of what its own loader compiled, from an inline map: let it (and skip the code cache).
    let map = '';
    try {
      map = readFileSync(`${entry}.js.map`, 'base64');
    } catch {
      // no map: stacks show the JavaScript's lines
    }
    module._compile(`${code}\n//# sourceMappingURL=data:application/json;base64,${map}`, filename);
  } else runModule(module, code, filename, entry);
}

/**
 * A dependency's JavaScript (cdk8s, cdk8s-plus-28's 2.7 MB of Kubernetes imports, yaml: about
 * 200 files on the synth path) with V8's code cache too, as Node 22's module compile cache
 * does: the entry is named by a hash of the file's path and text, so an upgraded package
 * never meets an old entry, and V8 checks the rest. A file starting with `#!` is left to
 * Node (it is not valid inside the module wrapper).
 */
function loadDependency(module, filename) {
  const code = readFileSync(filename, 'utf8');
  if (code.startsWith('#!')) return loadJs(module, filename);
  const rel = relative(ROOT, filename);
  const hash = createHash('sha256').update(`${FORMAT}\0${rel}\0`).update(code).digest('hex').slice(0, 32);
  const dir = join(CACHE, 'node_modules');
  if (!existsSync(dir)) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch {
      // see writeAtomically
    }
  }
  return runModule(module, code, filename, join(dir, hash));
}

const DEPENDENCIES = join(ROOT, 'node_modules') + sep;

if (!Module._extensions['.ts']) {
  Module._extensions['.ts'] = loadTs;
  Module._extensions['.js'] = function loadJsUnlessShadowed(module, filename) {
    const ts = filename.slice(0, -3) + '.ts';
    if (ours(filename) && existsSync(ts)) return loadTs(module, ts);
    // With source maps on, Node's own loader (it maps stacks only for what it compiled).
    if (filename.startsWith(DEPENDENCIES) && !process.sourceMapsEnabled) return loadDependency(module, filename);
    return loadJs(module, filename);
  };
}

module.exports = { transpile, CACHE, SWC_OPTIONS };
