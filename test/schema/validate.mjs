// Validates synthesized Kubernetes manifests against the JSON schemas shipped
// in kubernetes-models and its third-party packages (prometheus-operator,
// argo-cd, flux-cd).
//
// These packages are ESM-only, so jest (CommonJS mode) cannot require them;
// test/schema.ts runs this script in a child Node process instead.
//
// Input (stdin):  JSON array of manifests (plain objects with apiVersion/kind).
// Output (stdout): JSON array of {index, kind, name, errors: string[]} for the
//                  manifests that failed; [] when all are valid.
// Exit code: 0 whenever validation ran (even if manifests are invalid);
//            non-zero only when this script itself failed (bad input, broken
//            install, ...).
//
// How errors are reported: each model's validate() runs an ajv-compiled
// schema validator (@kubernetes-models/validate, runValidateFunc). On failure
// it throws an ajv ValidationError whose `errors` array holds ajv error
// objects ({instancePath, keyword, params, message}); the `message` fields are
// filled in (English) by ajv-i18n just before the throw. Generated validators
// collect all errors (ajv allErrors), so one manifest can yield several.
//
// Strictness: the validators do NOT reject unknown fields. The generated
// schemas carry no `additionalProperties: false` (none at all in
// prometheus-operator, argo-cd or flux-cd; in kubernetes-models only two
// schemas mention additionalProperties, for map-typed values). So a typo such
// as `spec.replicass` or `containers[0].imagee` passes validation silently.
// Type errors, enum/format violations and missing required properties are
// caught. Many optional fields also accept `null` (the schemas are nullable).
// Only the hand-written kustomize.config.k8s.io check below rejects unknown
// (top-level) keys.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const SELF_PATH = fileURLToPath(import.meta.url);

// Group (the part of apiVersion before "/") -> npm package holding its models.
// Anything not listed here (including the core group, apiVersion "v1") is
// looked up in kubernetes-models.
const THIRD_PARTY_PACKAGES = new Map([
  ['monitoring.coreos.com', '@kubernetes-models/prometheus-operator'],
  ['argoproj.io', '@kubernetes-models/argo-cd'],
  ['postgresql.cnpg.io', '@kubernetes-models/cloudnative-pg'],
]);
// @kubernetes-models/flux-cd exports "./<group>/<version>/*" for
// source.toolkit.fluxcd.io, kustomize.toolkit.fluxcd.io, helm.toolkit.fluxcd.io,
// notification.toolkit.fluxcd.io and image.toolkit.fluxcd.io.
const FLUX_GROUP_SUFFIX = '.toolkit.fluxcd.io';
const FLUX_PACKAGE = '@kubernetes-models/flux-cd';

const KIND_PATTERN = /^[A-Z][A-Za-z0-9]*$/;
const VERSION_PATTERN = /^v[0-9]+((alpha|beta)[0-9]+)?$/;
const GROUP_PATTERN = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

function isRecord(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Module specifier of the per-kind model module, e.g.
 * "kubernetes-models/apps/v1/Deployment", or undefined if apiVersion/kind are
 * not well-formed. Importing the single-kind module (instead of the
 * group/version index) only loads the schemas that kind needs.
 */
function modelSpecifier(apiVersion, kind) {
  if (!KIND_PATTERN.test(kind)) {
    return undefined;
  }
  const parts = apiVersion.split('/');
  if (parts.length === 1) {
    // Core group: "v1" -> kubernetes-models/v1
    return VERSION_PATTERN.test(parts[0]) ? `kubernetes-models/${parts[0]}/${kind}` : undefined;
  }
  if (parts.length !== 2) {
    return undefined;
  }
  const [group, version] = parts;
  if (!GROUP_PATTERN.test(group) || !VERSION_PATTERN.test(version)) {
    return undefined;
  }
  let pkg = THIRD_PARTY_PACKAGES.get(group);
  if (pkg === undefined && group.endsWith(FLUX_GROUP_SUFFIX)) {
    pkg = FLUX_PACKAGE;
  }
  if (pkg === undefined) {
    pkg = 'kubernetes-models';
  }
  return `${pkg}/${group}/${version}/${kind}`;
}

function isNotFoundFromHere(err) {
  if (!isRecord(err)) {
    return false;
  }
  const code = err.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
    return false;
  }
  // Only a failure to resolve *our* import means "no such model". A missing
  // module imported by a model file (broken install) is a crash.
  return typeof err.message === 'string' && err.message.includes(`imported from ${SELF_PATH}`);
}

const modelCache = new Map();

/**
 * Returns {model} or {reason} (why no model was found). Throws on unexpected
 * import failures.
 */
async function loadModel(apiVersion, kind) {
  const key = `${apiVersion}|${kind}`;
  const cached = modelCache.get(key);
  if (cached !== undefined) {
    return cached;
  }
  let result;
  const specifier = modelSpecifier(apiVersion, kind);
  if (specifier === undefined) {
    result = { reason: 'malformed apiVersion or kind' };
  } else {
    try {
      const mod = await import(specifier);
      const model = mod[kind];
      // Guard against non-resource types (e.g. kind "DeploymentSpec", which
      // exists as a model class but has no apiVersion/kind of its own).
      if (typeof model === 'function' && model.apiVersion === apiVersion && model.kind === kind) {
        result = { model };
      } else {
        result = { reason: `${specifier} is not a top-level resource model` };
      }
    } catch (err) {
      if (!isNotFoundFromHere(err)) {
        throw err;
      }
      result = { reason: `no model module ${specifier}` };
    }
  }
  modelCache.set(key, result);
  return result;
}

function formatAjvError(err) {
  if (!isRecord(err)) {
    return String(err);
  }
  const path = typeof err.instancePath === 'string' && err.instancePath !== '' ? err.instancePath : '(root)';
  let message = typeof err.message === 'string' ? err.message : `failed ${String(err.keyword)}`;
  if (isRecord(err.params) && typeof err.params.allowedValues !== 'undefined') {
    message += ` (${JSON.stringify(err.params.allowedValues)})`;
  }
  return `${path} ${message}`;
}

function validateWithModel(Model, manifest) {
  try {
    new Model(manifest).validate();
    return [];
  } catch (err) {
    if (isRecord(err) && Array.isArray(err.errors) && err.errors.length > 0) {
      return err.errors.map(formatAjvError);
    }
    const message = err instanceof Error ? err.message : String(err);
    return [`(root) validator threw: ${message}`];
  }
}

// kustomize.config.k8s.io/v1beta1 Kustomization (kustomization.yaml) has no
// model in these packages, so it gets a small structural check instead.
const KUSTOMIZATION_KEYS = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'commonLabels', 'commonAnnotations', 'images', 'patches']);

function checkStringMap(manifest, key, errors) {
  const value = manifest[key];
  if (value === undefined) {
    return;
  }
  if (!isRecord(value)) {
    errors.push(`/${key} must be object`);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      errors.push(`/${key}/${k} must be string`);
    }
  }
}

function checkObjectArray(manifest, key, errors) {
  const value = manifest[key];
  if (value === undefined) {
    return;
  }
  if (!Array.isArray(value)) {
    errors.push(`/${key} must be array`);
    return;
  }
  value.forEach((item, i) => {
    if (!isRecord(item)) {
      errors.push(`/${key}/${i} must be object`);
    }
  });
}

function validateKustomizeConfig(manifest) {
  const errors = [];
  for (const key of Object.keys(manifest)) {
    if (!KUSTOMIZATION_KEYS.has(key)) {
      errors.push(`(root) must NOT have additional property ${key}`);
    }
  }
  if (manifest.resources !== undefined) {
    if (!Array.isArray(manifest.resources)) {
      errors.push('/resources must be array');
    } else {
      manifest.resources.forEach((item, i) => {
        if (typeof item !== 'string') {
          errors.push(`/resources/${i} must be string`);
        }
      });
    }
  }
  if (manifest.namespace !== undefined && typeof manifest.namespace !== 'string') {
    errors.push('/namespace must be string');
  }
  checkStringMap(manifest, 'commonLabels', errors);
  checkStringMap(manifest, 'commonAnnotations', errors);
  checkObjectArray(manifest, 'labels', errors);
  checkObjectArray(manifest, 'images', errors);
  checkObjectArray(manifest, 'patches', errors);
  if (Array.isArray(manifest.images)) {
    manifest.images.forEach((image, i) => {
      if (isRecord(image) && typeof image.name !== 'string') {
        errors.push(`/images/${i} must have required property name`);
      }
    });
  }
  return errors;
}

// Groups no @kubernetes-models package covers (KEDA, the Grafana Operator): validated against the committed
// CRD subset's openAPIV3Schema in crds/, with ajv (already in node_modules for
// @kubernetes-models/validate). Like the models, it does not reject unknown fields.
const CRD_ONLY_GROUPS = new Set(['keda.sh', 'gateway.networking.k8s.io', 'gateway.envoyproxy.io', 'gateway.nginx.org', 'grafana.integreatly.org']);
const require = createRequire(import.meta.url);
let crdValidators;
function crdValidator(apiVersion, kind) {
  if (crdValidators === undefined) {
    const Ajv = require('ajv');
    const { parse } = require('yaml');
    const ajv = new (Ajv.default ?? Ajv)({ strict: false, validateFormats: false, allErrors: true });
    crdValidators = new Map();
    const dir = join(dirname(SELF_PATH), '..', '..', 'crds');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      const crd = parse(readFileSync(join(dir, file), 'utf8'));
      for (const v of crd.spec.versions) {
        crdValidators.set(`${crd.spec.group}/${v.name}|${crd.spec.names.kind}`, ajv.compile(v.schema.openAPIV3Schema));
      }
    }
  }
  return crdValidators.get(`${apiVersion}|${kind}`);
}

async function validateManifest(manifest) {
  if (!isRecord(manifest)) {
    return { kind: '', name: '', errors: ['(root) manifest must be object'] };
  }
  const kind = typeof manifest.kind === 'string' ? manifest.kind : '';
  const metadata = isRecord(manifest.metadata) ? manifest.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const apiVersion = manifest.apiVersion;
  if (typeof apiVersion !== 'string' || kind === '') {
    return { kind, name, errors: ['(root) apiVersion and kind must be non-empty strings'] };
  }
  if (apiVersion === 'kustomize.config.k8s.io/v1beta1' && kind === 'Kustomization') {
    return { kind, name, errors: validateKustomizeConfig(manifest) };
  }
  if (CRD_ONLY_GROUPS.has(apiVersion.split('/')[0])) {
    const validate = crdValidator(apiVersion, kind);
    if (validate === undefined) return { kind, name, errors: [`(root) no committed CRD for ${apiVersion} ${kind}`] };
    return { kind, name, errors: validate(manifest) ? [] : validate.errors.map((e) => `${e.instancePath || '(root)'} ${e.message}`) };
  }
  const loaded = await loadModel(apiVersion, kind);
  if (loaded.model === undefined) {
    return {
      kind,
      name,
      errors: [`(root) unknown apiVersion/kind ${apiVersion} ${kind}: ${loaded.reason}`],
    };
  }
  return { kind, name, errors: validateWithModel(loaded.model, manifest) };
}

async function main() {
  const input = JSON.parse(readFileSync(0, 'utf8'));
  if (!Array.isArray(input)) {
    throw new Error('stdin must be a JSON array of manifests');
  }
  const failures = [];
  for (let index = 0; index < input.length; index++) {
    const { kind, name, errors } = await validateManifest(input[index]);
    if (errors.length > 0) {
      failures.push({ index, kind, name, errors: [...new Set(errors)] });
    }
  }
  process.stdout.write(`${JSON.stringify(failures)}\n`);
}

main().catch((err) => {
  process.stderr.write(`validate.mjs failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 2;
});
