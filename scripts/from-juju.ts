import { runAsScript } from './cli-script';

/** `juju config discourse-k8s --format=yaml | npm run -s from-juju [-- --namespace NS]`: `discourse-cdk8s from-juju` (app/cli.ts). */
runAsScript('from-juju', 'npm run -s from-juju --');
