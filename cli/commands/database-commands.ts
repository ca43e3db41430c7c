/**
 * The commands that use PostgreSQL directly: `dev`, `server`, `worker`, `migrate`. Their
 * implementations (cli/runtime/) are loaded only when run, so the client commands start fast
 * without loading the engine or fastify.
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { contextOf } from '../context.js';
import { intArg, portArg } from '../input.js';

const truthy = (v: string | undefined): boolean => v !== undefined && /^(1|true|yes|on)$/i.test(v);

function listenOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--port <port>', 'API port (0: any free port)').env('OPENCLAW_PORT').default(8080).argParser(portArg))
    .addOption(new Option('--host <host>', 'address to bind').env('OPENCLAW_HOST').default('127.0.0.1'))
    .addOption(
      new Option(
        '--insecure-local',
        'serve WITHOUT authentication, every caller an admin; loopback addresses only (env OPENCLAW_INSECURE_LOCAL=1)',
      ).default(truthy(process.env.OPENCLAW_INSECURE_LOCAL)),
    )
    .addOption(new Option('--allow-unauthenticated', 'gone: the API has keys now').hideHelp())
    .hook('preAction', (command) => {
      if (command.opts<{ allowUnauthenticated?: boolean }>().allowUnauthenticated) {
        throw new UsageError(
          '--allow-unauthenticated is gone: the API authenticates with API keys now, so bind any address with --host and use ' +
            'the admin key (printed at first start); for loopback without authentication there is --insecure-local',
        );
      }
    });
}

export function registerDatabaseCommands(program: Command): void {
  listenOptions(
    program.command('dev').description('run everything locally in one process: embedded PostgreSQL, API, scheduler and a worker'),
  )
    .addOption(new Option('--data-dir <dir>', 'where the embedded PostgreSQL keeps its data').env('OPENCLAW_HOME').default('./.openclaw'))
    .addOption(new Option('--slots <n>', 'worker slots (tasks run at once)').default(8).argParser(intArg(1, 1024)))
    .option('--workflows <dir>', 'register the specs in this directory at start (default: ./workflows, else the bundled examples)')
    .option(
      '--skills <dir>',
      'build and register the WASM skills in this directory at start (default: ./wasm-skills, else the bundled ones)',
    )
    .option('--no-skills', 'do not build or register skills')
    .addHelpText(
      'after',
      `
Needs no configuration: without DATABASE_URL it starts an embedded PostgreSQL whose data stays in
--data-dir and is reused on the next start. With DATABASE_URL set, it uses that database instead.
Prints "OpenClaw ready at http://HOST:PORT" once the API accepts requests. Ctrl-C stops it.

Environment: DATABASE_URL, OPENCLAW_PORT, OPENCLAW_HOST, OPENCLAW_HOME, OPENCLAW_LOG_LEVEL (default warn).

Examples:
  openclaw dev
  openclaw dev --port 0 --data-dir /tmp/oc --workflows ./my-flows`,
    )
    .action(
      async (
        opts: {
          port: number;
          host: string;
          dataDir: string;
          slots: number;
          workflows?: string;
          skills?: string | boolean;
          insecureLocal: boolean;
        },
        cmd: Command,
      ) => {
        const { runDev } = await import('../runtime/dev.js');
        await runDev(
          {
            port: opts.port,
            host: opts.host,
            dataDir: opts.dataDir,
            slots: opts.slots,
            insecureLocal: opts.insecureLocal,
            ...(opts.workflows === undefined ? {} : { workflows: opts.workflows }),
            ...(opts.skills === undefined ? {} : { skills: opts.skills }),
          },
          contextOf(cmd),
        );
      },
    );

  listenOptions(program.command('server').description('run the API and the scheduler against DATABASE_URL (workers run separately)'))
    .option('--migrate', 'apply pending migrations at start (default: only check that the schema is current)')
    .addHelpText(
      'after',
      `
Authentication is on: on a database without API keys the server creates an admin key and prints
it once on stderr ("admin API key: ..."); OPENCLAW_ADMIN_KEY makes sure a given key is an admin key
instead (make one with \`openclaw keys generate\`). OIDC tokens: OPENCLAW_OIDC_ISSUER and
OPENCLAW_OIDC_AUDIENCE. See docs/security.md.

Environment: DATABASE_URL (required), OPENCLAW_PORT, OPENCLAW_HOST, OPENCLAW_ADMIN_KEY,
OPENCLAW_INSECURE_LOCAL, OPENCLAW_LOG_LEVEL (default info; JSON logs on stdout), and the engine's
OPENCLAW_* settings.`,
    )
    .action(async (opts: { port: number; host: string; insecureLocal: boolean; migrate?: boolean }, cmd: Command) => {
      const { runServer } = await import('../runtime/server.js');
      await runServer({ ...opts, migrate: opts.migrate === true }, contextOf(cmd));
    });

  program
    .command('worker')
    .description('claim and run steps against DATABASE_URL until SIGTERM/SIGINT (then drain and exit 0)')
    .option('--slots <n>', 'tasks run at once (default 8)', intArg(1, 1024))
    .option('--scheduler', 'also run the scheduler loop here (it acts only while it holds the leader lock)')
    .option('--id <id>', 'worker id (default: host:pid:random)')
    .addOption(
      new Option(
        '--metrics-port <port>',
        "serve this process's Prometheus metrics on GET /metrics at this port (default: off; 0: any free port)",
      )
        .env('OPENCLAW_METRICS_PORT')
        .argParser(portArg),
    )
    .addOption(
      new Option('--metrics-host <host>', 'address of the metrics port (no authentication: keep it private)')
        .env('OPENCLAW_METRICS_HOST')
        .default('127.0.0.1'),
    )
    .addHelpText(
      'after',
      "\nEnvironment: DATABASE_URL (required), OPENCLAW_LOG_LEVEL, OPENCLAW_METRICS_PORT, OPENCLAW_METRICS_HOST, and the engine's OPENCLAW_* settings.",
    )
    .action(async (opts: { slots?: number; scheduler?: boolean; id?: string; metricsPort?: number; metricsHost: string }, cmd: Command) => {
      const { runWorker } = await import('../runtime/worker.js');
      await runWorker(
        {
          scheduler: opts.scheduler === true,
          ...(opts.slots === undefined ? {} : { slots: opts.slots }),
          ...(opts.id === undefined ? {} : { id: opts.id }),
          ...(opts.metricsPort === undefined ? {} : { metricsPort: opts.metricsPort, metricsHost: opts.metricsHost }),
        },
        contextOf(cmd),
      );
    });

  program
    .command('migrate')
    .description('apply pending database migrations to DATABASE_URL')
    .addHelpText('after', '\nSafe to run concurrently and repeatedly: a second run waits, then finds nothing to do.')
    .action(async (_opts: unknown, cmd: Command) => {
      const { runMigrate } = await import('../runtime/migrate.js');
      await runMigrate(contextOf(cmd));
    });
}
