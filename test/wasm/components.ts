/**
 * Tiny hand-written skill components for the sandbox tests: WAT -> core module (jco parse) ->
 * component of the skill world (jco embed + new). Each is a few KB and builds in milliseconds.
 *
 * Canonical ABI of `run: func(input: string) -> result<string, skill-error>`: the core function
 * takes (ptr, len) and returns a pointer to a return area: discriminant (u8) at +0, then for ok
 * the string (ptr, len) at +4/+8, for err the record {name, message, retryable} at +4..+20.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco';
import type { ResolvedSkill } from '../../engine/executors/wasm/index.js';
import type { SkillManifest } from '../../engine/skills/manifest.js';

export const SKILL_WIT = readFileSync(new URL('../../wasm-skills/wit/skill.wit', import.meta.url), 'utf8');

const PREAMBLE = `
  (import "openclaw:skill/host@1.0.0" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 1024) "run was called")
  (data (i32.const 1100) "Boom")
  (data (i32.const 1110) "it broke")
  (func $alloc (export "cabi_realloc") (param $old i32) (param $oldSize i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32) (local $end i32) (local $have i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $p) (local.get $size)))
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then (if (i32.eq (memory.grow (i32.shr_u (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 65535)) (i32.const 16)))
                        (i32.const -1))
              (then unreachable))))
    (global.set $heap (local.get $end))
    (local.get $p))
`;

/** A `run` body returning a JSON string ("aaa...") of `n` bytes. */
function hugeString(n: number): string {
  return `(local.set $p (call $alloc (i32.const 0) (i32.const 0) (i32.const 1) (i32.const ${n})))
    (memory.fill (local.get $p) (i32.const 97) (i32.const ${n}))
    (i32.store8 (local.get $p) (i32.const 34))
    (i32.store8 (i32.add (local.get $p) (i32.const ${n - 1})) (i32.const 34))
    (i32.store8 (i32.const 16) (i32.const 0))
    (i32.store (i32.const 20) (local.get $p))
    (i32.store (i32.const 24) (i32.const ${n}))
    (i32.const 16)`;
}

const RUN = (body: string) => `(func (export "openclaw:skill/skill@1.0.0#run") (param $ptr i32) (param $len i32) (result i32) (local $p i32)
  ${body})`;

/** The bodies of `run`. */
export const BODIES = {
  /** Logs one line and returns its input unchanged. */
  echo: `(call $log (i32.const 1) (i32.const 1024) (i32.const 14))
    (i32.store8 (i32.const 16) (i32.const 0))
    (i32.store (i32.const 20) (local.get $ptr))
    (i32.store (i32.const 24) (local.get $len))
    (i32.const 16)`,
  /** Returns the typed error {name: "Boom", message: "it broke", retryable: true}. */
  fail: `(i32.store8 (i32.const 16) (i32.const 1))
    (i32.store (i32.const 20) (i32.const 1100)) (i32.store (i32.const 24) (i32.const 4))
    (i32.store (i32.const 28) (i32.const 1110)) (i32.store (i32.const 32) (i32.const 8))
    (i32.store8 (i32.const 36) (i32.const 1))
    (i32.const 16)`,
  /** Never returns. */
  loop: `(loop $forever (br $forever)) (unreachable)`,
  /** Grows memory 1 MiB at a time until it cannot, then traps (as an allocator does on OOM). */
  memoryBomb: `(loop $more (br_if $more (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) (unreachable)`,
  /** Returns a JSON string of 4 MiB ("aaaa..."). */
  hugeOutput: hugeString(4 * 1024 * 1024),
  /** Returns text that is not JSON ("run was called"). */
  notJson: `(i32.store8 (i32.const 16) (i32.const 0))
    (i32.store (i32.const 20) (i32.const 1024))
    (i32.store (i32.const 24) (i32.const 14))
    (i32.const 16)`,
} as const;

export type FixtureName = keyof typeof BODIES | 'forbiddenImport';

/** The skill interfaces (skill.wit without its package line and world), for worlds defined in tests. */
function skillPackageBody(): string {
  return SKILL_WIT.replace(/^package .*;$/m, '').replace(/world skill-world\s*\{[\s\S]*?\}/, '');
}

/** A world that also imports a (made-up) socket interface: must be refused. */
const EVIL_WIT = `package test:fixtures;
package openclaw:skill@1.0.0 {
${skillPackageBody()}
}
package evil:net@0.1.0 {
  interface socket { connect: func(addr: string) -> u32; }
}
world evil {
  import evil:net/socket@0.1.0;
  import openclaw:skill/host@1.0.0;
  export openclaw:skill/skill@1.0.0;
}
`;

export async function buildFixture(name: FixtureName): Promise<Uint8Array> {
  if (name === 'forbiddenImport') {
    const core = await parse(`(module
      (import "evil:net/socket@0.1.0" "connect" (func $connect (param i32 i32) (result i32)))
      ${PREAMBLE}
      ${RUN(`(drop (call $connect (i32.const 1024) (i32.const 14))) ${BODIES.echo}`)})`);
    return await componentNew(await componentEmbed({ binary: core, witSource: EVIL_WIT, world: 'evil' }));
  }
  const core = await parse(`(module ${PREAMBLE} ${RUN(BODIES[name])})`);
  return await componentNew(await componentEmbed({ binary: core, witSource: SKILL_WIT, world: 'skill-world' }));
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A ResolvedSkill for a component (what the registry would return). */
export function resolved(component: Uint8Array, manifest: Partial<SkillManifest> = {}): ResolvedSkill {
  const m: SkillManifest = { name: 'fixture', version: '1.0.0', ...manifest };
  return { name: m.name, version: m.version, sha256: sha256(component), manifest: m, loadComponent: () => Promise.resolve(component) };
}

/** A component whose `run` returns `json` (any text) whatever its input. */
export async function constantComponent(json: string): Promise<Uint8Array> {
  const bytes = Buffer.from(json, 'utf8');
  const data = [...bytes].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
  const core = await parse(`(module ${PREAMBLE}
    (data (i32.const 2048) "${data}")
    ${RUN(`(i32.store8 (i32.const 16) (i32.const 0))
      (i32.store (i32.const 20) (i32.const 2048))
      (i32.store (i32.const 24) (i32.const ${bytes.length}))
      (i32.const 16)`)})`);
  return await componentNew(await componentEmbed({ binary: core, witSource: SKILL_WIT, world: 'skill-world' }));
}

export interface CopyOptions {
  /** The input artifact read (default `in`). */
  from?: string;
  /** The output artifact written (default `out`). */
  to?: string;
  /** Bytes asked for per read (default 1 MiB). */
  chunk?: number;
  /** How many times each chunk is written (default 1). */
  repeat?: number;
}

/**
 * A component that copies input artifact `from` to output `to` through the `artifacts` import,
 * chunk by chunk, and returns `[reads, size]` (the number of non-empty reads, and what `size`
 * said). Its allocator is reset after each chunk, so it needs about one chunk of memory whatever
 * the artifact's size. A failed call returns the skill error `ArtifactError` with the host's
 * message.
 *
 * Lowered imports (canonical ABI): size(name ptr, len, ret) -> ret {u8 some, u64 @8};
 * read(name ptr, len, offset i64, len, ret) -> ret {u8 err, ptr @4, len @8};
 * write(name ptr, len, data ptr, len, ret) -> ret {u8 err, message ptr @4, len @8}.
 */
export async function copyComponent(options: CopyOptions = {}): Promise<Uint8Array> {
  const from = options.from ?? 'in';
  const to = options.to ?? 'out';
  const chunk = options.chunk ?? 1024 * 1024;
  const repeat = options.repeat ?? 1;
  const core = await parse(`(module
    (import "openclaw:skill/artifacts@1.0.0" "size" (func $size (param i32 i32 i32)))
    (import "openclaw:skill/artifacts@1.0.0" "read" (func $read (param i32 i32 i64 i32 i32)))
    (import "openclaw:skill/artifacts@1.0.0" "write" (func $write (param i32 i32 i32 i32 i32)))
    ${PREAMBLE}
    (data (i32.const 1200) "${from}")
    (data (i32.const 1300) "${to}")
    (data (i32.const 1400) "ArtifactError")
    ;; the host's error (string at 68/72) as the skill error ArtifactError
    (func $fail (result i32)
      (i32.store8 (i32.const 16) (i32.const 1))
      (i32.store (i32.const 20) (i32.const 1400)) (i32.store (i32.const 24) (i32.const 13))
      (i32.store (i32.const 28) (i32.load (i32.const 68))) (i32.store (i32.const 32) (i32.load (i32.const 72)))
      (i32.store8 (i32.const 36) (i32.const 0))
      (i32.const 16))
    ;; writes the decimal digits of $v ending before $end; returns where they start
    (func $digits (param $v i64) (param $end i32) (result i32)
      (loop $d
        (local.set $end (i32.sub (local.get $end) (i32.const 1)))
        (i64.store8 (local.get $end) (i64.add (i64.const 48) (i64.rem_u (local.get $v) (i64.const 10))))
        (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
        (br_if $d (i64.ne (local.get $v) (i64.const 0))))
      (local.get $end))
    ${RUN(`(local $off i64) (local $mark i32) (local $n i32) (local $reads i64) (local $i i32) (local $start i32)
      (call $size (i32.const 1200) (i32.const ${from.length}) (i32.const 96))
      (block $done
        (loop $next
          (local.set $mark (global.get $heap))
          (call $read (i32.const 1200) (i32.const ${from.length}) (local.get $off) (i32.const ${chunk}) (i32.const 64))
          (if (i32.load8_u (i32.const 64)) (then (return (call $fail))))
          (local.set $p (i32.load (i32.const 68)))
          (local.set $n (i32.load (i32.const 72)))
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $reads (i64.add (local.get $reads) (i64.const 1)))
          (local.set $i (i32.const 0))
          (loop $again
            (call $write (i32.const 1300) (i32.const ${to.length}) (local.get $p) (local.get $n) (i32.const 64))
            (if (i32.load8_u (i32.const 64)) (then (return (call $fail))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $again (i32.lt_u (local.get $i) (i32.const ${repeat}))))
          (local.set $off (i64.add (local.get $off) (i64.extend_i32_u (local.get $n))))
          (global.set $heap (local.get $mark))
          (br $next)))
      ;; "[reads,size]" in 2000..2063 (size -1 when none)
      (i32.store8 (i32.const 2063) (i32.const 93))
      (local.set $start
        (if (result i32) (i32.load8_u (i32.const 96))
          (then (call $digits (i64.load (i32.const 104)) (i32.const 2063)))
          (else (i32.store16 (i32.const 2061) (i32.const 0x312d)) (i32.const 2061))))
      (local.set $start (i32.sub (local.get $start) (i32.const 1)))
      (i32.store8 (local.get $start) (i32.const 44))
      (local.set $start (call $digits (local.get $reads) (local.get $start)))
      (local.set $start (i32.sub (local.get $start) (i32.const 1)))
      (i32.store8 (local.get $start) (i32.const 91))
      (i32.store8 (i32.const 16) (i32.const 0))
      (i32.store (i32.const 20) (local.get $start))
      (i32.store (i32.const 24) (i32.sub (i32.const 2064) (local.get $start)))
      (i32.const 16)`)})`);
  return await componentNew(await componentEmbed({ binary: core, witSource: SKILL_WIT, world: 'skill-world' }));
}

/** A core module (not a component): registering it must fail. */
export async function coreModule(): Promise<Uint8Array> {
  return await parse(`(module ${PREAMBLE} ${RUN(BODIES.echo)})`);
}
