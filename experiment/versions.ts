/**
 * Reading a version of pipeline.lock: a git revision, a file, a directory holding the file, or the
 * working tree. Node built-ins only: the CLI imports this module at start-up for its defaults.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const FILE = 'pipeline.lock';
export interface Version {
  /** How to name this version in output: the spec as given ("HEAD~1", "runs/a.lock", "workdir"). */
  label: string;
  text: string;
}

/** The working tree, as a spec. */
export const WORKDIR = 'workdir';

function missingFile(where: string): Error {
  return new Error(`no ${FILE} at ${where}: run \`npx tsx pipeline.ts repro\` first`);
}

async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { cwd, maxBuffer: 1 << 28, encoding: 'utf8' });
  return stdout;
}

/**
 * The text of pipeline.lock in the version `spec`: `workdir` or `.` (the working tree under cwd), an existing file
 * (taken as is), an existing directory (its pipeline.lock), or else a git revision (`git show REV:./pipeline.lock`,
 * the file's path in the repository being that of cwd).
 */
export async function readVersion(spec: string, cwd: string): Promise<Version> {
  const label = spec === '.' ? WORKDIR : spec;
  const local = path.resolve(cwd, spec === WORKDIR ? '.' : spec);
  const stats = await stat(local).catch(() => undefined);
  if (stats) {
    const target = stats.isDirectory() ? path.join(local, FILE) : local;
    const text = await readFile(target, 'utf8').catch(() => {
      throw missingFile(target);
    });
    return { label, text };
  }
  // A name like the file's own ("pipeline.lock", "runs/b.lock") is a missing file, never a revision.
  const fileLike = path.basename(spec) === FILE || /\.(lock|ya?ml|json)$/.test(spec);
  if (fileLike) throw missingFile(local);
  try {
    await git(cwd, ['rev-parse', '--verify', '--quiet', `${spec}^{commit}`]);
  } catch (error) {
    const reason = ((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`"${spec}" is neither a file, a directory nor a git revision${reason ? ` (git: ${reason})` : ''}`);
  }
  try {
    return { label, text: await git(cwd, ['show', `${spec}:./${FILE}`]) };
  } catch {
    const prefix = (await git(cwd, ['rev-parse', '--show-prefix'])).trim();
    throw new Error(`git revision ${spec} has no ${prefix}${FILE}`);
  }
}

/**
 * The lock files `exp show` reads: each pattern as a spec (a file, directory or revision), a `*` or `?` in its last
 * part matching files of its directory; without patterns, the locks committed to git under cwd.
 */
export async function lockSpecs(patterns: readonly string[], cwd: string): Promise<string[]> {
  if (patterns.length === 0) {
    const listed = await git(cwd, ['ls-files', '-z', '--', '*.lock']).then(
      (out) => out.split('\0').filter(Boolean),
      (error: { stderr?: string }) => {
        throw new Error(
          `cannot list the committed locks under ${cwd} (git: ${(error.stderr ?? '').trim()}): name the locks instead`,
        );
      },
    );
    if (listed.length === 0) throw new Error(`no lock files committed under ${cwd}: name some (exp show runs/*.lock)`);
    return listed;
  }
  const { globMatcher } = await import('../engine/plan/graph.ts');
  const specs: string[] = [];
  for (const pattern of patterns) {
    if (!/[*?]/.test(path.basename(pattern))) {
      specs.push(pattern);
      continue;
    }
    const dir = path.dirname(pattern);
    const matches = globMatcher(path.basename(pattern));
    const found = (await readdir(path.resolve(cwd, dir)).catch(() => [] as string[])).filter(matches).sort();
    if (found.length === 0) throw new Error(`no file matches ${pattern}`);
    specs.push(...found.map((f) => path.join(dir, f)));
  }
  return specs;
}
