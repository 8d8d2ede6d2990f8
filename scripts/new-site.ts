import { runAsScript } from './cli-script';

/** `npm run new-site NAME`: `discourse-cdk8s new-site` (app/cli.ts); SITES_DIR or `-- --sites DIR` names the folder. */
runAsScript('new-site', 'npm run new-site');
