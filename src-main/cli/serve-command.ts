/**
 * `telltale serve [--port N] [--data DIR] [--models DIR] [--allow DIR…] [--upload-quota SIZE]
 * [capture...]`: the app in a browser.
 * Runs the engine with its HTTP + WebSocket server on 127.0.0.1 and prints the URL to open (it
 * carries a random token; keep it to yourself). Capture files given on the command line are
 * opened at once; so is the capture stream a command writes (--from-command 'ssh root@router
 * tcpdump -i br-lan -U -w - not port 22'), read live. Runs until interrupted (Ctrl-C).
 */
import { shellCommand } from '../capture/stream-capture.ts';
import { startEngineServer, type RunningServer } from '../engine/engine-server.ts';
import { defaultDataDir, packageVersion, rendererDir } from '../store/folders.ts';
import { type CliIo, ExitCode, UsageError } from './cli-io.ts';

export interface ServeArgs {
  port: number;
  dataDir: string | null;
  modelsDir: string;
  captures: string[];
  labels: string | null;
  /** A command whose standard output is a capture stream to read at once (--from-command); null: none. */
  fromCommand: string | null;
  /** Folders whose files the page may open (--allow). */
  allowFolders: string[];
  uploadQuotaBytes: number;
  /** Resolves when the server should close (default: SIGINT or SIGTERM). */
  until?: (server: RunningServer) => Promise<void>;
}

export function parsePort(text: string | undefined): number {
  if (text === undefined) return 0;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: "${text}" is not a port (0-65535)`);
  return port;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

export async function runServe(args: ServeArgs, io: CliIo): Promise<number> {
  let server: RunningServer;
  try {
    server = await startEngineServer({
      dataDir: args.dataDir ?? defaultDataDir(),
      modelsDir: args.modelsDir,
      rendererDir: rendererDir(),
      port: args.port,
      version: packageVersion(),
      allowFolders: args.allowFolders,
      allowFiles: args.labels === null ? args.captures : [...args.captures, args.labels],
      uploadQuotaBytes: args.uploadQuotaBytes,
    });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new UsageError(`--port ${args.port}: the port is in use`);
    if (e.code === 'EACCES' && e.syscall === 'listen')
      throw new UsageError(`--port ${args.port}: not allowed to listen there (try a port above 1023)`);
    if (e.path !== undefined && e.syscall !== 'listen')
      throw new UsageError(`the data folder cannot be used (${e.message}); choose another with --data DIR`);
    throw error;
  }
  for (const notice of server.engine.notices) io.stderr(`telltale: ${notice}\n`);
  io.stdout(
    `Telltale is running at ${server.url}\n(open it in a browser on this machine; Ctrl-C stops it)\n`,
  );
  if (args.fromCommand !== null) {
    try {
      await server.engine.startCommand(shellCommand(args.fromCommand));
    } catch (error) {
      io.stderr(`telltale: ${(error as Error).message}\n`);
    }
  }
  if (args.captures.length > 0) {
    const r = await server.engine.handle('capture.openFiles', { paths: args.captures, labels: args.labels });
    if (!r.ok) io.stderr(`telltale: ${r.error.message}\n`);
  }
  await (args.until ?? untilSignal)(server);
  await server.close();
  return ExitCode.OK;
}
