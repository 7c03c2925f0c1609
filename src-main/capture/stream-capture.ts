/**
 * Capture data from a byte stream instead of a file: standard input (`telltale analyze -`), or the
 * standard output of a command the person gives — typically a router's own capture over SSH,
 * `ssh root@router tcpdump -i br-lan -U -w -` on OpenWrt, which sees every device of the home
 * with libpcap's own timestamps. pcap or pcapng, plain or gzip-compressed (recognised by the first
 * bytes), read through the same parser as a file; packets are handed on as they are parsed, not
 * held back for a full batch, as they arrive in real time.
 *
 * A stream that ends is the end of the capture; a command that fails says so with its exit status
 * and the last line it wrote to standard error; a stream that stalls (no data for `stallSeconds`)
 * is reported while it waits. Whatever arrived before is kept in every case.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { CaptureFileSource, errnoText, type CaptureFileOptions } from './capture-file.ts';
import { captureError } from './capture-error.ts';
import { isGzip } from './capture-format.ts';
import type { ChunkQueue } from './chunk-queue.ts';
import type { PacketSource } from './packet-source.ts';
import { routerSshProblem, type RouterSsh } from '../shared/router-capture.ts';

export interface StreamCaptureOptions extends Omit<CaptureFileOptions, 'pacing' | 'clock'> {
  /** Seconds without data after which the stream is reported as stalled (default 60). */
  stallSeconds?: number;
}

const DEFAULT_STALL_SECONDS = 60;
/** Bytes of a command's standard error kept for its error message. */
const STDERR_KEPT = 4096;
/** How long a stopped command has to exit before it is killed. */
const KILL_AFTER_MS = 2000;
/** How long the end of a command's output waits for its exit status. */
const EXIT_WAIT_MS = 5000;

/** The first chunk of a stream (then paused), or null when it ends or fails before any. */
function firstChunk(stream: Readable): Promise<Buffer | null> {
  if (stream.readableEnded || stream.destroyed) return Promise.resolve(null);
  return new Promise((resolve) => {
    const done = (chunk: Buffer | null): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onEnd);
      resolve(chunk);
    };
    const onData = (chunk: Buffer): void => {
      stream.pause();
      done(chunk);
    };
    const onEnd = (): void => {
      done(null);
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.once('error', onEnd);
  });
}

/** Capture data read from a stream that `open` gives (null when it cannot be opened; say why with addError). */
export class StreamCaptureSource extends CaptureFileSource {
  private readonly stallMs: number;
  private lastData = Date.now();
  private stalledSince: number | null = null;
  private watchdog: NodeJS.Timeout | null = null;

  constructor(
    name: string,
    private readonly open: (source: StreamCaptureSource) => Readable | null,
    options: StreamCaptureOptions = {},
  ) {
    super(name, { batchSize: options.batchSize, chunkSize: options.chunkSize });
    this.handOnParsed = true;
    this.stallMs = (options.stallSeconds ?? DEFAULT_STALL_SECONDS) * 1000;
  }

  /** Reports a problem of the stream (a subclass's, e.g. a command that failed). */
  fail(message: string, fatal = true): void {
    this.addError(captureError('io', this.place(-1), fatal, message));
  }

  protected override async openInput(): Promise<ChunkQueue | null> {
    const raw = this.open(this);
    if (raw === null) return null;
    this.streams.push(raw);
    raw.on('data', (chunk: Buffer) => {
      this.rawPosition += chunk.length;
      this.stats.filePosition = this.rawPosition;
      this.lastData = Date.now();
      if (this.stalledSince !== null) this.stalledSince = null;
    });
    const first = await firstChunk(raw);
    if (first === null) {
      // a command that failed says why: wait for its exit status before calling the stream empty
      await this.inputEnded();
      if (!this.stopped && !this.errors.some((e) => e.fatal))
        this.addError(captureError('empty', this.place(-1), true, 'the stream ended before any data came'));
      return null;
    }
    this.watch();
    this.compressed = isGzip(first);
    raw.unshift(first);
    const queue = this.queueOf(raw);
    raw.resume();
    return queue;
  }

  /** Reports, once per stall, a stream that has sent nothing for `stallSeconds`. */
  private watch(): void {
    const every = Math.max(250, Math.min(5000, this.stallMs / 4));
    this.watchdog = setInterval(() => {
      if (this.stopped || this.stalledSince !== null) return;
      const quiet = Date.now() - this.lastData;
      if (quiet < this.stallMs) return;
      this.stalledSince = this.lastData;
      this.addError(
        captureError(
          'io',
          this.place(-1),
          false,
          `no data for ${Math.round(quiet / 1000)} s: the stream has stalled (still waiting; what arrived is kept)`,
        ),
      );
    }, every);
    this.watchdog.unref();
  }

  protected override inputEnded(): Promise<void> {
    this.unwatch();
    return Promise.resolve();
  }

  protected override onStop(): void {
    this.unwatch();
  }

  private unwatch(): void {
    if (this.watchdog !== null) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  protected override place(offset: number): { source: string; offset: number; decompressed: boolean } {
    return { source: this.name, offset, decompressed: this.compressed };
  }
}

/** Capture data piped into this process (`telltale analyze -`). */
export function openStdinCapture(options: StreamCaptureOptions = {}): PacketSource {
  return new StreamCaptureSource('standard input', () => process.stdin, options);
}

/** A command to run without a shell: the program and its arguments. */
export interface CaptureCommand {
  file: string;
  args: readonly string[];
  /** How to name it in messages ("ssh root@router"). */
  label: string;
}

/**
 * Capture data from the standard output of a command. The command's exit status and the end of
 * its standard error explain a failure; stop() ends it (SIGTERM, then SIGKILL).
 */
export class CommandCaptureSource extends StreamCaptureSource {
  private child: ChildProcess | null = null;
  private stderrTail = '';
  private exited: Promise<void> | null = null;

  constructor(
    private readonly command: CaptureCommand,
    options: StreamCaptureOptions = {},
  ) {
    super(command.label, () => this.start(), options);
  }

  private start(): Readable | null {
    let child: ChildProcess;
    try {
      child = spawn(this.command.file, [...this.command.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      this.fail(`cannot start the command (${errnoText(e)})`);
      return null;
    }
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_KEPT);
    });
    this.exited = new Promise((resolve) => {
      child.once('error', (e) => {
        this.fail(`cannot start the command (${errnoText(e)})`);
        resolve();
      });
      child.once('exit', (code, signal) => {
        if (!this.stopped && code !== 0) {
          const why = this.lastStderrLine();
          this.fail(
            `the command ended with ${code === null ? `signal ${signal}` : `exit code ${code}`}${why === '' ? '' : `: ${why}`}`,
          );
        }
        resolve();
      });
    });
    return child.stdout;
  }

  /** The last line the command wrote to standard error that says what went wrong. */
  private lastStderrLine(): string {
    const lines = this.stderrTail
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !/^(tcpdump: )?listening on /.test(l));
    // a tool's own error line names it ("ssh: connect to host …", "tcpdump: br0: No such device
    // exists"); a line after it may only repeat it in other words
    return lines.findLast((l) => /^[\w.-]+: /.test(l)) ?? lines.at(-1) ?? '';
  }

  protected override async inputEnded(): Promise<void> {
    await super.inputEnded();
    if (this.exited !== null)
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, EXIT_WAIT_MS).unref())]);
  }

  protected override onStop(): void {
    super.onStop();
    const child = this.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, KILL_AFTER_MS).unref();
  }
}

/** `sh -c <command line>`: a command line the person typed (the command line tool's --from-command). */
export function shellCommand(line: string): CaptureCommand {
  return { file: '/bin/sh', args: ['-c', line], label: `"${line}"` };
}

/**
 * The router's own capture over SSH: `ssh [-p PORT] [USER@]HOST tcpdump -i IFACE -U -s 0 -w - not
 * port 22` — every frame of the router's LAN interface, with libpcap's timestamps, except the SSH
 * session's own. BatchMode: the person's keys and SSH config log in, and a password is never
 * asked for or stored (a missing key is an error that says so).
 */
export function sshCaptureCommand(r: RouterSsh): CaptureCommand {
  const problem = routerSshProblem(r);
  if (problem !== null) throw new Error(problem);
  const target = r.user === null ? r.host : `${r.user}@${r.host}`;
  return {
    file: 'ssh',
    args: [
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=15',
      '-o',
      'ServerAliveInterval=15',
      ...(r.port === null ? [] : ['-p', String(r.port)]),
      target,
      'tcpdump',
      '-i',
      r.interface,
      '-U',
      '-s',
      '0',
      '-w',
      '-',
      'not',
      'port',
      '22',
    ],
    label: `ssh ${target} (${r.interface})`,
  };
}
