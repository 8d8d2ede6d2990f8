import { runAsScript } from './cli-script';

/** `npm run -s op -- SITE ACTION ...`: `discourse-cdk8s op` (app/cli.ts). */
runAsScript('op', 'npm run -s op --');
