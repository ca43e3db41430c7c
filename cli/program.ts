/** The `openclaw` command tree (commander). `main.ts` runs it; tests build it to check parsing. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { namespaceOption, withCommonOptions } from './context.js';
import { registerApply } from './commands/apply.js';
import { registerArtifacts } from './commands/artifacts.js';
import { registerAudit } from './commands/audit.js';
import { registerControl } from './commands/control.js';
import { registerDatabaseCommands } from './commands/database-commands.js';
import { registerDeadLetters } from './commands/dead-letters.js';
import { registerKeys } from './commands/keys.js';
import { registerLogs } from './commands/logs.js';
import { registerRun } from './commands/run.js';
import { registerSecrets } from './commands/secrets.js';
import { registerSkills } from './commands/skills.js';
import { registerRuns } from './commands/runs.js';
import { registerSchedules } from './commands/schedules.js';
import { registerStats } from './commands/stats.js';
import { registerStatus } from './commands/status.js';
import { registerWorkers } from './commands/workers.js';
import { registerWorkflows } from './commands/workflows.js';

function packageVersion(): string {
  // cli/program.ts in the source tree, dist/cli/program.js when built.
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'openclaw' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return 'unknown';
}

export function buildProgram(): Command {
  const program = new Command('openclaw')
    .description('OpenClaw: a durable workflow engine on PostgreSQL')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--json', 'machine-readable JSON output')
    .option('--no-color', 'no colours (also: NO_COLOR=1)')
    .addOption(namespaceOption())
    // Program options stop at the command name: `run --version 2` is the run's flag. Every
    // command also accepts --json and --no-color itself (see withCommonOptions).
    .enablePositionalOptions()
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  program.addHelpText(
    'after',
    `
Local, with nothing to install or configure:
  openclaw dev                       # API, scheduler, worker and an embedded PostgreSQL
  openclaw run fanout-join --wait    # in another terminal

Client commands talk to the API at --url (env OPENCLAW_URL, default http://127.0.0.1:8080),
in --namespace (env OPENCLAW_NAMESPACE, default default).
Exit codes: 0 ok, 1 failed (API error, invalid spec, failed run), 2 bad usage, 3 API unreachable.
Docs: docs/cli.md`,
  );
  registerDatabaseCommands(program);
  registerApply(program);
  registerRun(program);
  registerRuns(program);
  registerStatus(program);
  registerControl(program);
  registerDeadLetters(program);
  registerSchedules(program);
  registerWorkflows(program);
  registerLogs(program);
  registerArtifacts(program);
  registerSecrets(program);
  registerSkills(program);
  registerAudit(program);
  registerKeys(program);
  registerWorkers(program);
  registerStats(program);
  // Every command and subcommand (`openclaw keys create --json`).
  const withCommon = (parent: Command): void => {
    for (const cmd of parent.commands) {
      if (cmd.name() === 'help') continue;
      withCommonOptions(cmd);
      withCommon(cmd);
    }
  };
  withCommon(program);
  return program;
}
