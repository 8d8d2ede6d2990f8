import { existsSync, mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { isDnsLabel } from '../lib/core/checks';
import { SCHEMA_FILE } from './site-schema';

/**
 * `npm run new-site NAME`: a commented site file to start from. The required keys are set
 * (the hostname left empty, so synth asks for it); optional sections are commented out,
 * each ready to uncomment. `## ` starts an explanation; `# ` comments out YAML (a test
 * uncomments it all and the file stays valid).
 */
export function siteTemplate(name: string): string {
  return `# yaml-language-server: $schema=../${SCHEMA_FILE}
## Site "${name}": npm run synth renders it into dist/${name}/. Every key is in docs/reference.md
namespace: ${name}
image:
  repository: registry.example.com/discourse   ## where you pushed the charm's rock (docs/image.md)
  tag: "1.0"                                    ## quoted: YAML reads an unquoted 3.10 as 3.1
config:                                         ## the discourse-k8s charm options, as juju config names them
  external_hostname: ""                         ## TODO your forum's hostname, e.g. ${name}.example.com
  force_https: true
  # smtp_address: smtp.example.com
  # smtp_authentication: login
  # smtp_username: discourse
  # smtp_password: { secret: ${name}-smtp, key: password }   ## Secrets by reference, never the value
database:                                       ## one of cloudnativepg, crunchy_pgo, zalando, secret, host (docs/reference.md)
  cloudnativepg: { cluster: ${name}-db, manage_extensions: true }
redis:
  host: ${name}-redis
  # password: { secret: ${name}-redis, key: password }
# secret_key_base: { secret: ${name}-secret-key-base, key: secret-key-base }
# resources: { cpu_request: 500m, cpu_limit: "2", memory_request: 2Gi, memory_limit: 4Gi }
# uploads: { size: 20Gi }
# backups: { to: volume, frequency: 1d, keep: 5 }   ## Discourse's own backups (docs/backups.md)
# ingress:
#   class_name: nginx
#   tls: { cert_manager_cluster_issuer: letsencrypt }
# monitoring:
#   prometheus_labels: { release: kube-prometheus-stack }
# gitops:
#   repo_url: https://git.example.com/platform/discourse-sites.git
# operations:
#   - action: add-admin-user
#     email: admin@example.com
#     password: { secret: ${name}-admin, key: password }
`;
}

/** Writes `<sitesDir>/<name>.yaml` from the template; refuses a bad name or an existing file. */
export function scaffoldSite(sitesDir: string, name: string | undefined): { file?: string; error?: string } {
  if (!name) return { error: 'usage: npm run new-site NAME (lowercase letters, digits and "-", at most 40)' };
  if (!isDnsLabel(name, 40)) {
    return {
      error: `${JSON.stringify(name)} is not a site name: use at most 40 lowercase letters, digits and "-", starting and ending with a letter or digit`,
    };
  }
  const file = join(sitesDir, `${name}.yaml`);
  if (existsSync(file)) return { error: `${file} exists already; edit it, or choose another name` };
  mkdirSync(sitesDir, { recursive: true });
  writeFileSync(file, siteTemplate(name), { flag: 'wx' });
  return { file };
}
