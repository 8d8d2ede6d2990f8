import { existsSync, readFileSync, readdirSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { Json } from './fixtures';

/**
 * crds/ holds cut-down CRDs (what imports/ is generated from and ajv validates against,
 * offline); test/cluster/crds/ holds the upstream release files the real API server gets
 * (scripts/upstream-crds.sh, checked by its --check in the cluster suite). The cut-down
 * copies may leave fields out, never invent one: every version they serve and every
 * property path their schemas name must exist upstream, with the same type.
 */

const SUBSET = join(__dirname, '..', 'crds');
const UPSTREAM = join(__dirname, 'cluster', 'crds');

interface Version {
  readonly name: string;
  readonly schema: { readonly openAPIV3Schema: Json };
}
const versionsOf = (file: string): Version[] => (parse(readFileSync(file, 'utf8')) as Json).spec.versions as Version[];

/** path → type of every property in a schema (arrays' items as `[]`). */
function propertyTypes(schema: Json, at = '', out = new Map<string, string>()): Map<string, string> {
  if (!schema || typeof schema !== 'object') return out;
  if (at !== '') out.set(at, schema.type ?? (schema['x-kubernetes-int-or-string'] ? 'int-or-string' : '(untyped)'));
  for (const [k, child] of Object.entries((schema.properties ?? {}) as Record<string, Json>)) propertyTypes(child, `${at}.${k}`, out);
  if (schema.items) propertyTypes(schema.items as Json, `${at}[]`, out);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') propertyTypes(schema.additionalProperties as Json, `${at}{}`, out);
  return out;
}

const files = readdirSync(SUBSET)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('the cut-down CRDs agree with the upstream release files', () => {
  test('every cut-down CRD has its upstream file', () => {
    expect(files.filter((f) => !existsSync(join(UPSTREAM, f)))).toEqual([]);
    expect(files.length).toBeGreaterThan(5);
  });

  test.each(files)('%s: its versions are served upstream, its properties exist there with the same type', (file) => {
    const upstream = new Map(versionsOf(join(UPSTREAM, file)).map((v) => [v.name, v]));
    for (const v of versionsOf(join(SUBSET, file))) {
      const theirs = upstream.get(v.name);
      expect({ version: v.name, upstream: theirs !== undefined }).toEqual({ version: v.name, upstream: true });
      const real = propertyTypes(theirs!.schema.openAPIV3Schema);
      const ours = propertyTypes(v.schema.openAPIV3Schema);
      expect(ours.size).toBeGreaterThan(0);
      const wrong = [...ours]
        .filter(([path, type]) => real.get(path) !== type)
        .map(([path, type]) => `${v.name} ${path}: ours ${type}, upstream ${real.get(path) ?? 'absent'}`);
      expect(wrong).toEqual([]);
    }
  });
});
