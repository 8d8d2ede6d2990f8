import { runAsScript } from './cli-script';

/** `npm run -s image -- SITE`: `discourse-cdk8s image` (app/cli.ts). */
runAsScript('image', 'npm run -s image --');
