/**
 * A remote store over SSH (`ssh://[user@]host[:port]/path`), through the system's `ssh`: it reads the user's
 * ~/.ssh/config (host aliases, ProxyJump, keys, agent, known hosts), which a cluster login usually needs and an SSH
 * library would not see. One connection is shared by all the file transfers (ControlMaster). $PIPELINE_SSH replaces
 * the `ssh` command and its options, as RSYNC_RSH does for rsync (e.g. `ssh -F ./ssh_config`).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { posix } from 'node:path';
import { HOST, TEMP_PREFIX } from '../store/files.ts';
import type { RemoteStore } from './sync.ts';

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

export class SshRemote implements RemoteStore {
  readonly name: string;
  private readonly ssh: string[];
  private readonly root: string;
  private writes = 0;

  constructor(url: string) {
    const parsed = new URL(url);
    if (!parsed.hostname || !parsed.pathname || parsed.pathname === '/')
      throw new Error(`${url}: expected ssh://[user@]host[:port]/path`);
    this.name = url;
    this.root = decodeURIComponent(parsed.pathname);
    const [command = 'ssh', ...options] = (process.env.PIPELINE_SSH ?? 'ssh').split(/\s+/).filter(Boolean);
    this.ssh = [
      command,
      ...options,
      '-o',
      'BatchMode=yes',
      '-o',
      'ControlMaster=auto',
      '-o',
      `ControlPath=${tmpdir()}/pipeline-ssh-%C`,
      '-o',
      'ControlPersist=30',
      ...(parsed.port ? ['-p', parsed.port] : []),
      ...(parsed.username ? ['-l', decodeURIComponent(parsed.username)] : []),
      parsed.hostname,
    ];
  }

  /** Runs a shell command on the host; its stdout, or an error with ssh's or the command's last line of stderr. */
  private run(command: string, input?: Buffer): Promise<Buffer> {
    const [program, ...args] = this.ssh;
    return new Promise((resolve, reject) => {
      const child = spawn(program!, [...args, command], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', (error) => reject(new Error(`${this.name}: cannot run ${program}: ${error.message}`)));
      child.on('close', (code) => {
        if (code === 0) return resolve(Buffer.concat(out));
        const last = Buffer.concat(err).toString('utf8').trim().split('\n').at(-1) ?? '';
        reject(new Error(`${this.name}: ${last || `ssh exited with ${code}`}`));
      });
      child.stdin.on('error', () => {}); // a command that fails early closes its stdin; its exit status says why
      child.stdin.end(input ?? Buffer.alloc(0));
    });
  }

  async list(dir: 'objects' | 'runs'): Promise<Set<string>> {
    const path = posix.join(this.root, dir);
    const text = (await this.run(`if [ -d ${quote(path)} ]; then ls -1 -- ${quote(path)}; fi`)).toString('utf8');
    return new Set(text.split('\n').filter((f) => f && !f.startsWith(TEMP_PREFIX)));
  }

  read(path: string): Promise<Buffer> {
    return this.run(`cat -- ${quote(posix.join(this.root, path))}`);
  }

  /**
   * To a temp name (the remote's gc removes one left by a dead transfer), renamed only when what arrived has the
   * SHA-256 of what was sent: the host checks it with coreutils' sha256sum, so nothing of this tool is needed there.
   */
  async write(path: string, bytes: Buffer): Promise<void> {
    const target = posix.join(this.root, path);
    const temp = posix.join(posix.dirname(target), `${TEMP_PREFIX}${HOST}~${process.pid}-${this.writes++}`);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await this.run(
      `mkdir -p -- ${quote(posix.dirname(target))} && cat > ${quote(temp)} && [ "$(sha256sum < ${quote(temp)} | cut -d ' ' -f 1)" = ${sha256} ] && ` +
        `mv -f -- ${quote(temp)} ${quote(target)} || { rm -f -- ${quote(temp)}; echo 'transfer of ${path} did not arrive whole (its SHA-256 differs): not kept' >&2; exit 1; }`,
      bytes,
    );
  }

  /** Ends the shared connection. */
  async close(): Promise<void> {
    const [program, ...args] = this.ssh;
    await new Promise((resolve) =>
      spawn(program!, ['-O', 'exit', ...args], { stdio: 'ignore' })
        .on('close', resolve)
        .on('error', resolve),
    );
  }
}
