import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { OutputTree } from '../app/output';
import { renderSites } from '../app/synth';
import { Testing } from 'cdk8s';
import { PostgresConnection } from '../lib/model/database';
import { Discourse } from '../lib/discourse';
import { Manifest } from '../lib/core/manifest';
import { DiscourseProps } from '../lib/model/props';

/** The smallest valid props: a CloudNativePG database and a Redis host. */
export const MINIMAL: DiscourseProps = {
  image: { repository: 'discourse', tag: '1.0' },
  externalHostname: 'forum.example.com',
  database: PostgresConnection.fromCloudNativePg('forum-db'),
  redis: { host: 'forum-redis' },
};

/** S3 settings that satisfy the charm's rule (all four required values), for tests that need several replicas. */
export const S3: Partial<DiscourseProps> = {
  s3Enabled: true,
  s3Bucket: 'b-uploads',
  s3BackupBucket: 'b-backups',
  s3Region: 'r',
  s3AccessKeyId: { secret: 's', key: 'i' },
  s3SecretAccessKey: { secret: 's', key: 'k' },
};

/** Synthesizes one Discourse construct in a fresh chart. */
export function synth(props: Partial<DiscourseProps> = {}, id = 'forum'): { manifests: Manifest[]; discourse: Discourse } {
  const chart = Testing.chart();
  const discourse = new Discourse(chart, id, { ...MINIMAL, ...props });
  return { manifests: Testing.synth(chart) as Manifest[], discourse };
}

/** Synthesized JSON, navigated freely in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** The object of `kind` named `name`; fails the test if there is not exactly one. */
export function find(manifests: readonly Manifest[], kind: string, name: string): Json {
  const found = manifests.filter((m) => m.kind === kind && m.metadata.name === name);
  if (found.length !== 1)
    throw new Error(`expected one ${kind}/${name}, found ${found.length} among ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`);
  return found[0];
}

/** Site files the tests own: the example and one with every optional feature. `sites/` is the user's. */
export const FIXTURE_SITES = join(__dirname, 'fixtures', 'sites');

let rendered: OutputTree | undefined;

/** The fixture sites rendered once per test file, as `dist/` would hold them. */
export function fixtureTree(): OutputTree {
  if (!rendered) {
    const { tree, errors } = renderSites(FIXTURE_SITES);
    if (!tree) throw new Error(`the fixture sites do not render:\n${errors.join('\n')}`);
    rendered = tree;
  }
  return rendered;
}

/** Every object of the rendered fixture sites. */
export function fixtureManifests(): Json[] {
  return [...fixtureTree().entries()]
    .filter(([path]) => path.endsWith('.yaml') && !path.endsWith('kustomization.yaml'))
    .flatMap(([, text]) => parseAllDocuments(text).map((d) => d.toJS() as Json));
}
