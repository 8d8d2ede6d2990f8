import { runAsScript } from './cli-script';

/**
 * `helm get values RELEASE -n NS | npm run -s from-bitnami -- --release RELEASE --namespace NS`:
 * `discourse-cdk8s from-bitnami` (app/cli.ts).
 */
runAsScript('from-bitnami', 'npm run -s from-bitnami --');
