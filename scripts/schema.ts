import { runAsScript } from './cli-script';

/** `npm run schema [-- --check]` writes schema/site.schema.json from the tables: `discourse-cdk8s schema` (app/cli.ts). */
runAsScript('schema', 'npm run schema');
