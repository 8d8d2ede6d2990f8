import { parseArgs } from 'util';
import { fromBitnamiValues } from './bitnami-import';
import { npmConfigOptions } from './npm-config';
import { fromJujuConfig } from './juju-import';

/** What a command line run returns: the caller writes the streams and sets the exit status. */
export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The two importers, their options and where their notes go. */
const IMPORTERS = {
  'from-juju': {
    input: 'the output of `juju config <app> --format=yaml`',
    producer: () => 'juju config discourse-k8s --format=yaml',
    options: { namespace: 'namespace of the site; default: the Juju application name' },
  },
  'from-bitnami': {
    input: 'the release values (`helm get values <release>`)',
    producer: (o: (name: string) => string | undefined) => `helm get values ${o('release') ?? 'discourse'} -n ${o('namespace') ?? o('release') ?? 'discourse'}`,
    options: {
      release: 'the Helm release name the chart named its objects after; default: discourse',
      namespace: "namespace of the site (the release's); default: the release name",
      routing: 'what the chart ingress becomes: ingress (an Ingress) or gateway (an HTTPRoute on your Gateway); default: ingress',
    },
  },
} as const;

export type ImporterName = keyof typeof IMPORTERS;

/** `prog`: how the user runs it, `npm run -s from-juju --` here, `discourse-cdk8s from-juju` from the package. */
export function importUsage(name: ImporterName, prog = `npm run -s ${name} --`): string {
  const options = Object.entries(IMPORTERS[name].options);
  const flag = (o: string) => `--${o} ${o.toUpperCase()}`;
  const width = Math.max(...options.map(([o]) => flag(o).length), '-h, --help'.length) + 2;
  return [
    `Usage: ${prog} [OPTIONS] [FILE|-] > sites/<site>.yaml`,
    `Reads ${IMPORTERS[name].input} from FILE, or stdin when FILE is - or absent, and prints a draft site file.`,
    '',
    ...options.map(([o, help]) => `  ${flag(o).padEnd(width)}${help}`),
    `  ${'-h, --help'.padEnd(width)}print this help and exit`,
  ].join('\n');
}

/**
 * One run of an importer: the options parsed strictly (an unknown or incomplete option is
 * a usage error, exit 2, never a file name), the input read by `read` (a path, or stdin
 * when none), the draft on stdout and its notes on stderr as `TODO` lines, for both
 * importers. Empty input is an error (exit 1): a failed `helm get values | …` or
 * `juju config | …` pipe gives the importer nothing, and a draft of defaults would hide it.
 */
export function runImporter(
  name: ImporterName,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  read: (file?: string) => string,
  prog = `npm run -s ${name} --`,
): CommandResult {
  const options = Object.keys(IMPORTERS[name].options);
  // `npm run from-juju --namespace=forum` (no `--`) reaches us only as npm_config_namespace.
  const fromNpm = npmConfigOptions(
    options.map((o) => ({ name: o, type: 'string' as const, value: o.toUpperCase() })),
    env,
    prog.replace(/ --$/, ''),
  );
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...fromNpm.args, ...argv],
      options: {
        ...Object.fromEntries(options.map((o) => [o, { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (e) {
    return { exitCode: 2, stdout: '', stderr: `${(e as Error).message}\n\n${importUsage(name, prog)}\n` };
  }
  if (values.help) return { exitCode: 0, stdout: `${importUsage(name, prog)}\n`, stderr: '' };
  if (positionals.length > 1)
    return { exitCode: 2, stdout: '', stderr: `one input file at most, got ${positionals.join(' ')}\n\n${importUsage(name, prog)}\n` };
  if (fromNpm.errors.length > 0) return { exitCode: 2, stdout: '', stderr: `${fromNpm.errors.join('\n')}\n` };
  const option = (o: string) => values[o] as string | undefined;
  const notes = fromNpm.notes.map((n) => `${n}\n`).join('');
  try {
    // `-` is stdin, as for most tools that take a file.
    const input = read(positionals[0] === '-' ? undefined : positionals[0]);
    if (input.trim() === '') {
      const from = positionals[0] === undefined || positionals[0] === '-' ? 'stdin' : positionals[0];
      const command = IMPORTERS[name].producer(option);
      return {
        exitCode: 1,
        stdout: '',
        stderr:
          `${notes}${from}: the input is empty, so there is nothing to draft a site from (a failed \`${command} | …\` gives the importer nothing: the pipe hides its error). ` +
          `Fix: run ${command} on its own and check that it prints the values, then pipe it again: ${command} | ${prog} … > sites/<site>.yaml (or save it to a file and pass the file)\n`,
      };
    }
    const draft =
      name === 'from-juju'
        ? fromJujuConfig(input, { namespace: option('namespace') })
        : fromBitnamiValues(input, {
            release: option('release'),
            namespace: option('namespace'),
            routing: option('routing') as 'ingress' | 'gateway' | undefined,
          });
    // A note may span lines: its later lines are indented under its TODO.
    const todos = draft.notes.map((n) => `TODO ${n.split('\n').join('\n  ')}\n`).join('');
    return { exitCode: 0, stdout: draft.yaml, stderr: notes + todos };
  } catch (e) {
    return { exitCode: 1, stdout: '', stderr: `${notes}${(e as Error).message}\n` };
  }
}
