// The README's "TypeScript sites" example, kept compiling and tested (test/examples.test.ts):
// the site-file pipeline (per-site folders, kustomization, checklist, GitOps, --check) for
// sites written in TypeScript. Run it as a script: `npx ts-node --swc examples/sites.ts [--check]`.
import { IngressTls, PostgresConnection } from '../lib';
import { SiteProps, synthesizeSites } from '../app/typescript-sites';

export const SITES: SiteProps[] = [
  {
    name: 'forum',
    discourse: {
      image: { repository: 'registry.example.com/discourse', tag: '1.0' },
      externalHostname: 'forum.example.com',
      forceHttps: true,
      database: PostgresConnection.fromCrunchyPgo('hippo', 'discourse'),
      redis: { host: 'redis-master', password: { secret: 'redis', key: 'password' } },
    },
    ingress: { tls: IngressTls.fromCertManager('letsencrypt') },
    gitops: { repoUrl: 'https://git.example.com/platform/sites.git' },
  },
];

if (require.main === module) {
  const result = synthesizeSites(SITES, { outdir: 'dist', check: process.argv.includes('--check') });
  (result.exitCode === 0 ? process.stdout : process.stderr).write(`${result.messages.join('\n')}\n`);
  process.exitCode = result.exitCode;
}
