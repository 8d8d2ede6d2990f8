import { parseArgs } from 'util';
import type { CommandResult } from './import-cli';

/**
 * `discourse-cdk8s <command> [OPTIONS]`: the package's one command (package.json `bin`).
 * Every command takes `--help` (usage on stdout, exit 0, nothing else done) and refuses an
 * unknown option with its usage (exit 2). Exit status everywhere: 0 done, 1 a site, a file
 * or a check failed, 2 a usage error. Where a command takes a file, `-` is stdin.
 *
 * Each command's module is required only when that command runs: `--help`, `new-site` or
 * `init` never load cdk8s, and in the bundled CLI (build/cli.js) the modules a command does
 * not use are never initialised.
 */

/** What a command may touch besides its arguments: the environment, stdin, the package's version. */
export interface CliContext {
  readonly env: NodeJS.ProcessEnv;
  /** All of stdin, read when a command is given `-` (or no file where stdin is the default). */
  readonly readStdin: () => string;
  /** This package's version, which `init` pins. */
  readonly version: string;
  /** How the user names the program in messages: `discourse-cdk8s` (npx) or `npm run -s`-style script names. @default 'discourse-cdk8s' */
  readonly prog?: string;
}

interface Command {
  /** One line for the command list. */
  readonly summary: string;
  /** The full usage, for `--help` and usage errors. */
  readonly usage: (prog: string) => string;
  readonly run: (argv: readonly string[], context: CliContext, prog: string) => CommandResult;
}

const ok = (stdout: string, stderr = ''): CommandResult => ({ exitCode: 0, stdout, stderr });
const failed = (stderr: string): CommandResult => ({ exitCode: 1, stdout: '', stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n` });
const usageError = (message: string, usage: string): CommandResult => ({ exitCode: 2, stdout: '', stderr: `${message}\n\n${usage}\n` });
const wantsHelp = (argv: readonly string[]) => argv.includes('--help') || argv.includes('-h');

type Flags = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** parseArgs, strict, with `--help`; a usage error is returned instead of thrown. */
function parse(
  argv: readonly string[],
  flags: Flags,
  usage: string,
  positionals: { min: number; max: number; what: string },
): { values: Record<string, string | boolean | undefined>; positionals: string[] } | CommandResult {
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: { ...flags, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  } catch (e) {
    return usageError((e as Error).message, usage);
  }
  if (parsed.values.help) return ok(`${usage}\n`);
  if (parsed.positionals.length < positionals.min) return usageError(`missing ${positionals.what}`, usage);
  if (parsed.positionals.length > positionals.max)
    return usageError(
      `unexpected ${parsed.positionals
        .slice(positionals.max)
        .map((p) => JSON.stringify(p))
        .join(' ')}`,
      usage,
    );
  return parsed;
}
const isResult = (x: object): x is CommandResult => 'exitCode' in x;

/** The site folder: --sites, else $SITES_DIR (as `npm run new-site` always read it), else sites/. */
const sitesDir = (values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv) =>
  (values.sites as string | undefined) ?? (env.SITES_DIR || 'sites');

const SITES_OPTION = '  --sites DIR    folder of site files; default: $SITES_DIR or sites';

/* eslint-disable @typescript-eslint/no-require-imports -- each command loads its own modules when it runs (see above) */
export const COMMANDS: Record<string, Command> = {
  synth: {
    summary: 'render every site file in sites/ into dist/<site>/ (--check: fail when dist/ is stale)',
    usage: (prog) => (require('./synth-cli') as typeof import('./synth-cli')).usage(prog),
    run: (argv, context, prog) => (require('./synth-cli') as typeof import('./synth-cli')).main(argv, context.env, prog),
  },
  init: {
    summary: 'write a site repository (package.json, sites/, schema, CI workflow) into DIR',
    usage: (prog) => (require('./init') as typeof import('./init')).initUsage(prog),
    run: (argv, context, prog) => {
      const { initUsage, initRepository } = require('./init') as typeof import('./init');
      const usage = initUsage(prog);
      const args = parse(argv, { site: { type: 'string' } }, usage, { min: 0, max: 1, what: 'DIR' });
      if (isResult(args)) return args;
      const result = initRepository(args.positionals[0] ?? '.', { version: context.version, site: args.values.site as string | undefined });
      return result.error !== undefined ? failed(result.error) : ok(result.report);
    },
  },
  'new-site': {
    summary: 'start a commented sites/NAME.yaml',
    usage: (prog) =>
      [`Usage: ${prog} NAME [--sites DIR]`, 'Writes <sites>/NAME.yaml, a commented site file to start from; never overwrites one.', '', SITES_OPTION].join(
        '\n',
      ),
    run: (argv, context, prog) => {
      const usage = COMMANDS['new-site'].usage(prog);
      const args = parse(argv, { sites: { type: 'string' } }, usage, { min: 1, max: 1, what: 'NAME' });
      if (isResult(args)) return args;
      const { scaffoldSite } = require('./new-site') as typeof import('./new-site');
      const { file, error } = scaffoldSite(sitesDir(args.values, context.env), args.positionals[0]);
      return file ? ok(`wrote ${file}: set config.external_hostname, then npm run synth\n`) : failed(error ?? 'new-site failed');
    },
  },
  'from-bitnami': {
    summary: "a Bitnami bitnami/discourse release's values (file or stdin) -> a draft site file",
    usage: (prog) => (require('./import-cli') as typeof import('./import-cli')).importUsage('from-bitnami', prog),
    run: (argv, context, prog) =>
      (require('./import-cli') as typeof import('./import-cli')).runImporter('from-bitnami', argv, context.env, readFile(context), prog),
  },
  'from-juju': {
    summary: '`juju config … --format=yaml` (file or stdin) -> a draft site file',
    usage: (prog) => (require('./import-cli') as typeof import('./import-cli')).importUsage('from-juju', prog),
    run: (argv, context, prog) =>
      (require('./import-cli') as typeof import('./import-cli')).runImporter('from-juju', argv, context.env, readFile(context), prog),
  },
  op: {
    summary: 'one charm action (create-user, promote-user, anonymize-user, restore, …) as a Job on stdout',
    usage: (prog) =>
      [
        `Usage: ${prog} SITE ACTION [ACTION OPTIONS] [--sites DIR]`,
        "Prints the Job of one charm action for kubectl apply -f -, built from the site's own settings.",
        '',
        '  create-user      --email E --password-secret NAME/KEY [--admin] [--inactive]',
        '  add-admin-user   --email E --password-secret NAME/KEY [--inactive]',
        '  promote-user     --email E',
        '  anonymize-user   --username U',
        '  restore          --backup FILE (the file name /admin/backups lists)',
        SITES_OPTION,
      ].join('\n'),
    run: (argv, context, prog) => {
      const usage = COMMANDS.op.usage(prog);
      if (wantsHelp(argv)) return ok(`${usage}\n`);
      const { rest, sites, error } = takeSites(argv);
      if (error) return usageError(error, usage);
      const { operationManifest } = require('./operation-cli') as typeof import('./operation-cli');
      const result = operationManifest(sites ?? (context.env.SITES_DIR || 'sites'), rest, prog);
      if (result.output !== undefined) return ok(result.output);
      return result.usage ? usageError(result.error ?? '', usage) : failed(result.error ?? 'op failed');
    },
  },
  image: {
    summary: "the Dockerfile of a site's image.plugins on stdout (the first build)",
    usage: (prog) =>
      [
        `Usage: ${prog} SITE [--sites DIR] | docker buildx build --platform linux/amd64 -t IMAGE:TAG --push -`,
        "Prints the Dockerfile of the site's image.plugins, checked as synth checks it but without the digest.",
        '',
        SITES_OPTION,
      ].join('\n'),
    run: (argv, context, prog) => {
      const usage = COMMANDS.image.usage(prog);
      const args = parse(argv, { sites: { type: 'string' } }, usage, { min: 1, max: 1, what: 'SITE' });
      if (isResult(args)) return args;
      const { imageDockerfile } = require('./image-cli') as typeof import('./image-cli');
      const result = imageDockerfile(sitesDir(args.values, context.env), args.positionals, prog);
      if (result.output !== undefined) return ok(result.output);
      return result.usage ? usageError(result.error ?? '', usage) : failed(result.error ?? 'image failed');
    },
  },
  schema: {
    summary: 'write the JSON Schema of site files (for editors) to schema/site.schema.json',
    usage: (prog) => schemaUsage(prog),
    run: (argv, _context, prog) => {
      const usage = schemaUsage(prog);
      const args = parse(argv, { check: { type: 'boolean' }, out: { type: 'string' } }, usage, { min: 0, max: 0, what: '' });
      if (isResult(args)) return args;
      const { SCHEMA_FILE, siteSchemaText } = require('./site-schema') as typeof import('./site-schema');
      const { existsSync, mkdirSync, readFileSync, writeFileSync } = require('fs') as typeof import('fs');
      const { dirname } = require('path') as typeof import('path');
      const out = (args.values.out as string | undefined) ?? SCHEMA_FILE;
      const text = siteSchemaText();
      if (out === '-') return args.values.check ? usageError('--check compares a file: give --out FILE, not -', usage) : ok(text);
      if (args.values.check) {
        const current = existsSync(out) ? readFileSync(out, 'utf8') : undefined;
        return current === text
          ? ok('')
          : failed(`${out} is ${current === undefined ? 'missing' : 'stale'}; run ${prog}${out === SCHEMA_FILE ? '' : ` --out ${out}`} and commit it`);
      }
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, text);
      return ok(`wrote ${out}\n`);
    },
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

const schemaUsage = (prog: string) =>
  [
    `Usage: ${prog} [--check] [--out FILE|-]`,
    'Writes the JSON Schema of site files, generated from the same tables as the reader (new-site files name it for editors).',
    '',
    '  --out FILE     where; - for stdout; default: schema/site.schema.json',
    '  --check        compare instead of write; exit 1 when FILE is stale',
  ].join('\n');

/** A file's text, `-` (or none) being stdin. */
function readFile(context: CliContext): (file?: string) => string {
  return (file) => {
    if (file === undefined || file === '-') return context.readStdin();
    return (require('fs') as typeof import('fs')).readFileSync(file, 'utf8'); // eslint-disable-line @typescript-eslint/no-require-imports
  };
}

/** `--sites DIR` (or `--sites=DIR`) taken out of op's arguments, which op parses itself. */
function takeSites(argv: readonly string[]): { rest: string[]; sites?: string; error?: string } {
  const rest: string[] = [];
  let sites: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--sites') {
      if (argv[i + 1] === undefined) return { rest, error: 'option --sites DIR needs a folder' };
      sites = argv[++i];
    } else if (argv[i].startsWith('--sites=')) sites = argv[i].slice('--sites='.length);
    else rest.push(argv[i]);
  }
  return { rest, sites };
}

export function cliUsage(prog = 'discourse-cdk8s'): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return [
    `Usage: ${prog} <command> [OPTIONS]   (${prog} <command> --help for its options)`,
    '',
    ...names.map((n) => `  ${n.padEnd(width)}${COMMANDS[n].summary}`),
    '',
    `  ${'--version'.padEnd(width)}print the version`,
    '',
    'Exit status: 0 done, 1 a site, file or check failed, 2 a usage error.',
  ].join('\n');
}

/** One run: the caller writes the streams and sets the exit status. */
export function runCli(argv: readonly string[], context: CliContext): CommandResult {
  const prog = context.prog ?? 'discourse-cdk8s';
  const [name, ...rest] = argv;
  if (name === undefined) return usageError('missing a command', cliUsage(prog));
  if (name === '--help' || name === '-h' || name === 'help') {
    if (rest[0] !== undefined && COMMANDS[rest[0]]) return ok(`${COMMANDS[rest[0]].usage(`${prog} ${rest[0]}`)}\n`);
    return ok(`${cliUsage(prog)}\n`);
  }
  if (name === '--version' || name === '-v') return ok(`${context.version}\n`);
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) return usageError(`unknown command ${JSON.stringify(name)}; the commands are ${Object.keys(COMMANDS).join(', ')}`, cliUsage(prog));
  // A site repository's `"synth": "discourse-cdk8s synth"`: messages name `npm run synth`, as the user typed it.
  const script = context.env.npm_lifecycle_script;
  const event = context.env.npm_lifecycle_event;
  const viaNpm = event && script && (script === `discourse-cdk8s ${name}` || script.startsWith(`discourse-cdk8s ${name} `)) ? `npm run ${event}` : undefined;
  const commandProg = viaNpm ?? `${prog} ${name}`;
  // --help wins over everything else on the line, a wrong option included: it only prints.
  if (wantsHelp(rest)) return ok(`${command.usage(commandProg)}\n`);
  return command.run(rest, context, commandProg);
}

/** One command under another name (`npm run op --` in this repository's package.json scripts). */
export function runCommand(name: string, argv: readonly string[], context: CliContext, prog: string): CommandResult {
  return COMMANDS[name].run(argv, context, prog);
}
