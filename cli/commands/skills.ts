/**
 * `openclaw skills`: list registered skills (API); `skills build [dir]`: build skill folders into
 * components (local, no API); `skills push <dir>`: build and register them through the API.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { ResponseBody } from '../../client/index.js';
import { defined } from '../client.js';
import { clientOf, contextOf, printNextPage, withCommonOptions, withPaging, withUrl } from '../context.js';
import { CliError } from '../errors.js';
import { formatTime, oneLine, table } from '../output.js';
import type { BuiltSkill } from '../runtime/skill-build.js';

/** The skills of `dir`: one skill folder (with skill.json), or a folder of them (like wasm-skills/). */
async function buildDir(dir: string, force: boolean, onBuilt: (b: BuiltSkill) => void): Promise<BuiltSkill[]> {
  // Loaded only here: client commands start without the engine (see cli/README.md).
  const { buildSkill, buildSkills, findSkills, readSkill } = await import('../runtime/skill-build.js');
  const abs = path.resolve(dir);
  if (!existsSync(abs)) throw new CliError(`${abs} does not exist`);
  if (existsSync(path.join(abs, 'skill.json'))) {
    const b = await buildSkill(readSkill(abs, path.join(abs, '..', 'dist')), { force });
    onBuilt(b);
    return [b];
  }
  if (findSkills(abs).length === 0) throw new CliError(`${abs} has no skill folders (a folder with a skill.json)`);
  return await buildSkills(abs, { force, onBuilt });
}

export function registerSkills(program: Command): void {
  const skills = program.command('skills').description('WASM skills: list, build, push (docs/skills.md)');

  withCommonOptions(
    withPaging(
      withUrl(
        skills
          .command('list', { isDefault: true })
          .description('list registered skill versions')
          .option('--name <name>', 'only this skill'),
      ),
    ),
  ).action(async (opts: { name?: string; limit?: number; cursor?: string }, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const { body } = await clientOf(cmd).GET('/v1/skills', {
      params: { query: defined({ name: opts.name, limit: opts.limit, cursor: opts.cursor }) },
    });
    if (json) return print.json(body);
    if (body.items.length === 0) {
      print.out('no skills (build and register some with `openclaw skills push wasm-skills`)');
      return;
    }
    print.out(
      table(
        ['NAME', 'VERSION', 'SIZE', 'REGISTERED', 'DESCRIPTION'],
        body.items.map((s) => [
          s.name,
          s.version,
          `${(s.sizeBytes / 1024 / 1024).toFixed(1)} MiB`,
          formatTime(s.createdAt),
          oneLine(s.description ?? ''),
        ]),
      ),
    );
    printNextPage(print, 'openclaw skills list', body.nextCursor);
  });

  withCommonOptions(
    skills
      .command('build [dir]')
      .description('build skill folders into WebAssembly components (<dir>/dist/<name>@<version>.wasm); default ./wasm-skills')
      .option('--force', 'rebuild even when up to date'),
  ).action(async (dir: string | undefined, opts: { force?: boolean }, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const root = dir ?? (existsSync('wasm-skills') ? 'wasm-skills' : (await import('../runtime/skill-build.js')).packagedSkillsDir());
    if (!root) throw new CliError('no skills folder: pass one (e.g. openclaw skills build ./my-skills)');
    const built = await buildDir(root, opts.force === true, (b) => {
      if (!json)
        print.out(`skill ${b.id} ${b.cached ? 'up to date' : 'built'}  ${print.color.dim(path.relative(process.cwd(), b.wasmPath))}`);
    });
    if (json)
      print.json(
        built.map((b) => ({ name: b.manifest.name, version: b.manifest.version, sha256: b.sha256, file: b.wasmPath, built: !b.cached })),
      );
  });

  withCommonOptions(
    withUrl(
      skills
        .command('push <dir>')
        .description('build (when needed) and register a skill folder, or every skill in a folder of them')
        .option('--force', 'rebuild even when up to date'),
    ),
  ).action(async (dir: string, opts: { force?: boolean }, cmd: Command) => {
    const { json, print } = contextOf(cmd);
    const client = clientOf(cmd);
    const results: Array<ResponseBody<'/v1/skills', 'post'>> = [];
    const built = await buildDir(dir, opts.force === true, () => {});
    for (const b of built) {
      const { body } = await client.POST('/v1/skills', { body: { manifest: b.manifest, component: b.component.toString('base64') } });
      results.push(body);
      if (!json) print.out(`skill ${body.name}@${body.version} ${body.created ? print.color.green('created') : 'unchanged'}`);
    }
    if (json) print.json(results);
  });
}
