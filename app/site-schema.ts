import { OptionSpec } from '../lib/model/config';
import { charmOptionDocs } from './option-docs';
import { SITE_KEYS, SiteKeySpec } from './site-keys';

/**
 * The JSON Schema (draft-07) of a site file, derived from the two tables: SITE_KEYS
 * (app/site-keys.ts) and the charm options OPTIONS (lib/model/config.ts, docs from their doc
 * comments). Editors with the YAML language server complete keys, show docs and defaults,
 * and flag unknown keys, wrong types and plaintext secrets as you type. It checks the
 * shape; `npm run synth` checks the rest (names, URLs, the charm's rules).
 * `npm run schema` writes it to schema/site.schema.json.
 */

/** A JSON Schema object (the subset we emit). */
export type JsonSchema = { readonly [key: string]: unknown };

/** Where the schema is committed, relative to the repository root. */
export const SCHEMA_FILE = 'schema/site.schema.json';

const SECRET_REF: JsonSchema = {
  type: 'object',
  description: 'A value kept in a Kubernetes Secret: { secret: <Secret name>, key: <key in it> }. Plaintext values are refused.',
  properties: {
    secret: { type: 'string', description: 'Name of the Secret (in the site namespace).' },
    key: { type: 'string', description: 'Key in the Secret.' },
  },
  required: ['secret', 'key'],
  additionalProperties: false,
};

// Draft-07 ignores keys next to $ref, so a described Secret reference wraps it.
const ref = { $ref: '#/definitions/secretRef' };
const secretValue = { allOf: [ref] };

/** The value forms of a key type, as the reader (app/reader.ts) accepts them. */
function valueSchema(spec: SiteKeySpec): JsonSchema {
  switch (spec.type) {
    case 'string':
      return { type: 'string' };
    case 'integer':
      return { type: 'integer' };
    case 'boolean':
      return { type: 'boolean' };
    case 'enum':
      return { enum: [...(spec.values ?? []), ...(spec.orBoolean ? [true, false] : [])] };
    case 'duration':
      return {
        anyOf: [
          { type: 'string', pattern: '^\\d+(s|m|h|d)$' },
          { type: 'integer', minimum: 0 },
        ],
      };
    case 'size':
      return { type: 'string', pattern: '^\\d*[1-9]\\d*(Mi|Gi|Ti)$' };
    case 'cpu':
      return {
        anyOf: [
          { type: 'string', pattern: '^(\\d*[1-9]\\d*m|\\d+(\\.\\d+)?)$' },
          { type: 'number', exclusiveMinimum: 0 },
        ],
      };
    case 'secret':
      return secretValue;
    case 'strings':
      return { type: 'array', items: { type: 'string' } };
    case 'string-map':
      return { type: 'object', additionalProperties: { type: 'string' } };
    case 'secret-map':
      return { type: 'object', additionalProperties: ref };
    case 'section':
      return objectSchema(spec.key);
    case 'list':
      return { type: 'array', items: objectSchema(spec.key) };
    case 'charm-options':
      return charmOptionsSchema();
  }
}

/** The literal default of a key, when its documented default is one (not "the site name"). */
function literalDefault(spec: SiteKeySpec): unknown {
  const d = spec.default;
  if (d === undefined) return undefined;
  switch (spec.type) {
    case 'integer':
      return /^\d+$/.test(d) ? Number(d) : undefined;
    case 'boolean':
      return d === 'true' ? true : d === 'false' ? false : undefined;
    case 'enum':
      return spec.values?.includes(d) ? d : undefined;
    case 'string':
    case 'size':
    case 'cpu':
    case 'duration':
      return /^the |[<(]/.test(d) ? undefined : d;
    case 'strings':
      return d === '[]' ? [] : undefined;
    case 'string-map':
    case 'secret-map':
      return d === '{}' ? {} : undefined;
    default:
      return undefined;
  }
}

function describe(doc: string, shownDefault: string | undefined, required: boolean | undefined): string {
  return [doc, required ? 'Required.' : undefined, shownDefault !== undefined ? `Default: ${shownDefault}.` : undefined]
    .filter((s) => s !== undefined)
    .join(' ');
}

function keySchema(spec: SiteKeySpec): JsonSchema {
  const value = valueSchema(spec);
  const fallback = literalDefault(spec);
  const described = { description: describe(spec.doc, spec.default, spec.required), ...(fallback !== undefined ? { default: fallback } : {}) };
  if (spec.shorthand) return { ...described, anyOf: [{ type: 'string', pattern: spec.shorthand.source }, value] };
  return { ...described, ...value };
}

/** The children of `section` (`''`: the top level) as an object schema that refuses other keys. */
function objectSchema(section: string): JsonSchema {
  const depth = section === '' ? 1 : section.split('.').length + 1;
  const children = SITE_KEYS.filter((k) => k.key.split('.').length === depth && (section === '' || k.key.startsWith(`${section}.`)));
  const name = (k: SiteKeySpec) => k.key.split('.').pop()!;
  const required = children.filter((k) => k.required).map(name);
  return {
    type: 'object',
    properties: Object.fromEntries(children.map((k) => [name(k), keySchema(k)])),
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  };
}

function optionValue(spec: OptionSpec): JsonSchema {
  switch (spec.kind) {
    case 'string':
      return { type: 'string' };
    case 'integer':
      return { type: 'integer' };
    // `juju config` prints some booleans as "true"/"false"; the reader takes both, so pasted output validates.
    case 'boolean':
      return { enum: [true, false, 'true', 'false'] };
    case 'enum':
      return { enum: [...(spec.values ?? [])] };
    case 'secret':
      return secretValue;
  }
}

function charmOptionsSchema(): JsonSchema {
  const properties = Object.fromEntries(
    charmOptionDocs().map(({ spec, doc, see }) => [
      spec.option,
      {
        description: `${doc}${spec.default !== undefined ? ` Default: ${JSON.stringify(spec.default)}.` : ''} ${see}`.trim(),
        ...(spec.default !== undefined ? { default: spec.default } : {}),
        ...optionValue(spec),
      },
    ]),
  );
  return { type: 'object', properties, additionalProperties: false };
}

/** The whole schema; deterministic (table order), so the committed file can be compared. */
export function siteSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $comment: 'Generated by `npm run schema` from OPTIONS (lib/model/config.ts) and SITE_KEYS (app/site-keys.ts). Do not edit.',
    title: 'discourse-cdk8s site file (sites/<name>.yaml)',
    ...objectSchema(''),
    definitions: { secretRef: SECRET_REF },
  };
}

/** The schema file's text. */
export function siteSchemaText(): string {
  return `${JSON.stringify(siteSchema(), null, 2)}\n`;
}
