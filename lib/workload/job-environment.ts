import { SecretEnv } from '../core/checks';

/**
 * What a one-shot Discourse process (a Job, or the init container that waits for
 * migrations) may read of the site's environment. Jobs are immutable and named by a
 * hash of their spec, so every variable they carry is a reason to run them again:
 * a Job gets only the variables its task reads, and an SMTP or throttle change leaves
 * the migration Job as it was.
 */
export type JobNeed = 'rails' | 's3';

/**
 * Variables by what needs them. `rails` is what booting Rails against the site's data
 * reads: the database and Redis connections (Discourse opens Redis at boot, and takes a
 * migration lock in it), the secret key base (encrypted columns), and the hostname
 * (`Discourse.base_url` in data migrations). `s3` adds the bucket settings and the proxy
 * that `s3:upload_assets` talks through.
 */
const NEEDED: Readonly<Record<JobNeed, readonly RegExp[]>> = {
  rails: [/^RAILS_ENV$/, /^CONTAINER_APP_/, /^DISCOURSE_HOSTNAME$/, /^DISCOURSE_(DB|REDIS)_/, /^DISCOURSE_SECRET_KEY_BASE$/],
  s3: [
    /^DISCOURSE_USE_S3$/,
    /^FORCE_S3_UPLOADS$/,
    /^DISCOURSE_S3_/,
    /^DISCOURSE_BACKUP_LOCATION$/,
    /^(HTTP_PROXY|HTTPS_PROXY|NO_PROXY|http_proxy|https_proxy|no_proxy)$/,
  ],
};

/** The variables of the site's environment that a one-shot process with `needs` reads. */
export function jobEnvironment(
  site: { readonly environment: Readonly<Record<string, string>>; readonly secretEnvironment: readonly SecretEnv[] },
  needs: readonly JobNeed[],
): { readonly plain: Record<string, string>; readonly secrets: SecretEnv[] } {
  const patterns = ['rails' as const, ...needs].flatMap((need) => NEEDED[need]);
  const wanted = (name: string) => patterns.some((p) => p.test(name));
  const plain: Record<string, string> = {};
  for (const name of Object.keys(site.environment).sort()) if (wanted(name)) plain[name] = site.environment[name];
  return { plain, secrets: site.secretEnvironment.filter((s) => wanted(s.name)) };
}
