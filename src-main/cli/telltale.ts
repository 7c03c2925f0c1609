#!/usr/bin/env node
/**
 * The `telltale` command line: `analyze`, `batch`, `report`, `dataset`, `serve` and `eval`. `main()` takes its
 * arguments and I/O explicitly so tests run it in-process; run as a program, it wires itself to
 * the real process.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { STDIN_INPUT } from '../audit/capture-analysis.ts';
import { GroundTruthError } from '../devices/ground-truth.ts';
import { DEFAULT_DEFENCES, defenceId, parseDefence, type Defence } from '../views/defences.ts';
import { TUNNEL_PROFILE_NAMES, type TunnelProfileName } from '../views/tunnel-profiles.ts';
import { VIEW_NAMES, type ViewName } from '../views/view-packet.ts';
import { runAnalyze } from './analyze-command.ts';
import { parseShard, runBatchCommand } from './batch-command.ts';
import { type CliIo, ExitCode, UsageError } from './cli-io.ts';
import { runDataset } from './dataset-command.ts';
import { parsePaper, parseTimeZone, runReport } from './report-command.ts';
import { NoChromiumError } from '../report/chromium.ts';
import { runEval } from './eval-command.ts';
import { runInspect } from './inspect-command.ts';
import { parsePort, runServe } from './serve-command.ts';
import { defaultDatasetsDir, defaultModelsDir, packageVersion } from '../store/folders.ts';
import { ManifestError, MODEL_VIEWS, type ModelView } from '../inference/model-manifest.ts';
import { InferenceError } from '../inference/onnx-scorer.ts';

const USAGE = `Usage:
  telltale analyze <capture... | -> [--labels labels.csv] [--json out.json] [--csv DIR]
                   [--views lan,napt,vpn | --no-views] [--vpn-profile NAME] [--no-progress]
                   [--view napt|vpn [--models DIR]]
                   [--activity] [--findings [--what-if pad-16,pad-256,cover-5pps | --no-what-if]]
      Devices found (MAC, vendor, name, addresses, packets, bytes, first / last seen), packets
      each observer view keeps, and read errors. --view: which device that observer's default
      model names for each packet, per true device (--json adds per-packet labels).
      "-" reads a pcap or pcapng stream from standard input instead of files, alone (with
      --findings, no defence what-ifs: they read the capture a second time).
      --activity: each device's asleep / idle / busy timeline, the truth beside what your ISP
      (NAPT) and your VPN's carrier infer, and how much each can tell (exposure).
      --findings: plain-language findings and defence what-ifs (padding pad-N / pad-mtu, cover
      traffic cover-Rpps; default ${DEFAULT_DEFENCES.map(defenceId).join(',')}); --json writes all of it.
      --csv DIR: devices.csv (with --activity / --findings: both observers per device, and
      busy-spans.csv, findings.csv; with --view: packets.csv, each packet's true and named device).
  telltale batch <capture or folder...> [--per capture|folder] [--labels labels.csv] [--jobs N]
                 [--jsonl out.jsonl] [--csv out.csv] [--shard K/N] [--models DIR] [--no-progress]
      The audit (devices, both observers, timelines, the observers trained on the home) of many
      captures on N worker threads (default 2), one result per capture, or per folder with
      --per folder (a folder's captures are one home); folders are searched for .pcap, .pcapng
      and .cap files (optionally .gz). Prints a summary table and writes JSON lines and CSV (one
      row per device) as each audit ends. --shard K/N audits the K-th of N shares of the jobs,
      for splitting a corpus across machines; the shares' results concatenate.
  telltale report <capture...> [--labels labels.csv] (--pdf out.pdf | --html out.html)
                  [--paper a4|letter] [--device MAC|NAME] [--title NAME] [--time-zone ZONE]
                  [--no-what-if] [--models DIR] [--no-progress]
      The privacy report of the full audit: the home's verdict, the household table, a section
      per device that gives something away (timelines, busiest times, findings, what would
      help and what it costs), how it was measured and its limits, and an appendix for
      researchers. --pdf prints it with the Chromium or Chrome on this computer (or the one
      TELLTALE_CHROMIUM names); --html writes the same page. --device: that device alone (its MAC address or its name).
  telltale dataset <capture...> --labels labels.csv --view lan|napt|vpn --out DIR
                   [--vpn-profile NAME] [--defence pad-N|pad-mtu|cover-Rpps] [--no-progress]
      Per-packet feature vectors, true labels and provenance as NumPy .npy files + meta.json;
      --defence: the view as the home would send it with that defence.
  telltale serve [--port N] [--data DIR] [--models DIR] [--allow DIR ...] [--upload-quota SIZE]
                 [capture... [--labels labels.csv] | --from-command 'COMMAND']
      The app in a browser: serves the UI and the engine on 127.0.0.1 and prints the URL to open
      (it carries a random access token). Needs the UI built once: npm run build. The page opens
      files it uploads, the captures given here, and files under each --allow folder; uploads
      may hold --upload-quota in all (default 8G; K, M, G suffixes). --from-command reads, live,
      the pcap stream a command writes, e.g. your router's own capture over SSH:
      --from-command 'ssh root@192.168.1.1 tcpdump -i br-lan -U -s 0 -w - not port 22'.
  telltale inspect <interface> [--device ADDRESS ... --i-own-this-network [--seconds N]
                   [--write out.pcap] [--json out.json]]
      Without --device: the devices on the interface's network (an ARP sweep of the subnet,
      paced, none above /20, and what they announce), the router and this computer marked;
      nothing is changed. With --device (IP or MAC, repeated) and --i-own-this-network:
      inspect mode (Linux, root) — those devices' traffic is redirected through this computer
      by ARP, passed on to the router, and written to --write for telltale analyze, for
      --seconds or until Ctrl-C; then every device and the router get their true addresses
      again and forwarding is put back. A watchdog process puts them back if Telltale is
      killed; the next start does if even that dies.
  telltale eval [--models DIR] [--datasets DIR] [--work DIR] [--no-progress]
      Builds the validation split from the MADEA captures, runs every bundled model and writes
      DIR/EVALUATION.md with confusion matrices in DIR/evaluation/ (models/ by default); trains
      the device-category models on every labelled dataset and writes DIR/category-napt.json and
      DIR/category-vpn.json with the threshold its leave-one-out test chose.

Captures: pcap or pcapng, plain or gzip-compressed (detected from the content).
VPN profiles: ${TUNNEL_PROFILE_NAMES.join(', ')} (default openvpn-aes-256-gcm).
Exit codes: 0 done (damaged files are reported; what was readable is used), 1 bad arguments
or input files (the message says which), 2 a capture could not be read at all, 70 an internal
error (a bug in Telltale: the message and stack trace say where; please report them).`;

/** Where a usage error points for the whole usage (printed only when asked for). */
const USAGE_HINT = 'run "telltale --help" for every command and option';

function parseDefenceOption(text: string, option: string): Defence {
  try {
    return parseDefence(text);
  } catch (error) {
    throw new UsageError(`${option}: ${(error as Error).message}`);
  }
}

function parseViewName(text: string, option: string): ViewName {
  const name = text.trim().toLowerCase();
  if (!(VIEW_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(`${option}: unknown view "${text}" (choose from ${VIEW_NAMES.join(', ')})`);
  }
  return name as ViewName;
}

function parseModelView(text: string): ModelView {
  const name = text.trim().toLowerCase();
  if (!(MODEL_VIEWS as readonly string[]).includes(name)) {
    throw new UsageError(`--view: models exist for ${MODEL_VIEWS.join(' and ')}, not "${text}"`);
  }
  return name as ModelView;
}

function parseProfile(text: string | undefined): TunnelProfileName | undefined {
  if (text === undefined) return undefined;
  if (!(TUNNEL_PROFILE_NAMES as readonly string[]).includes(text)) {
    throw new UsageError(
      `--vpn-profile: unknown profile "${text}" (choose from ${TUNNEL_PROFILE_NAMES.join(', ')})`,
    );
  }
  return text as TunnelProfileName;
}

/** Checks that each capture is a readable regular file before any work starts. */
function checkInputFiles(paths: readonly string[], what: string, stdin = false): void {
  if (paths.length === 0) throw new UsageError(`no ${what} given`);
  if (paths.includes(STDIN_INPUT)) {
    if (!stdin) throw new UsageError(`"-" (standard input) is not taken here: give the ${what} as files`);
    if (paths.length > 1)
      throw new UsageError('"-" (standard input) is read alone, not with other capture files');
    return;
  }
  for (const path of paths) {
    let isFile: boolean;
    try {
      isFile = statSync(path).isFile();
    } catch {
      throw new UsageError(`${path}: no such file`);
    }
    if (!isFile) throw new UsageError(`${path}: not a regular file`);
    try {
      accessSync(path, constants.R_OK);
    } catch {
      throw new UsageError(`${path}: permission denied (cannot read the file)`);
    }
  }
}

/** `--allow DIR`: an existing folder. */
function checkFolder(path: string): string {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new UsageError(`--allow ${path}: no such folder`);
  }
  if (!isDir) throw new UsageError(`--allow ${path}: not a folder`);
  return path;
}

/** `8G`, `500M`, `1024K` or a number of bytes; undefined when the option is absent. */
export function parseByteSize(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(text.trim());
  const units: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
  const bytes = m === null ? NaN : Number(m[1]) * units[m[2].toUpperCase()];
  if (!Number.isFinite(bytes) || bytes < 1)
    throw new UsageError(`${option}: "${text}" is not a size (a number with K, M or G, e.g. 8G)`);
  return Math.floor(bytes);
}

/** The options each command takes (every other option of the parser is refused for it). */
const COMMAND_OPTIONS = {
  analyze: [
    'labels',
    'json',
    'csv',
    'views',
    'no-views',
    'view',
    'vpn-profile',
    'models',
    'no-progress',
    'activity',
    'findings',
    'what-if',
    'no-what-if',
  ],
  batch: ['labels', 'per', 'jobs', 'jsonl', 'csv', 'shard', 'models', 'vpn-profile', 'no-progress'],
  dataset: ['labels', 'view', 'out', 'vpn-profile', 'defence', 'no-progress'],
  report: [
    'labels',
    'pdf',
    'html',
    'paper',
    'device',
    'title',
    'time-zone',
    'no-what-if',
    'models',
    'no-progress',
  ],
  eval: ['models', 'datasets', 'work', 'vpn-profile', 'no-progress'],
  inspect: ['device', 'i-own-this-network', 'seconds', 'write', 'json'],
  serve: ['port', 'data', 'models', 'labels', 'allow', 'upload-quota', 'no-progress', 'from-command'],
} as const;

async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout(`${USAGE}\n`);
    return command === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      labels: { type: 'string' },
      json: { type: 'string' },
      views: { type: 'string' },
      'no-views': { type: 'boolean' },
      view: { type: 'string' },
      out: { type: 'string' },
      'vpn-profile': { type: 'string' },
      models: { type: 'string' },
      datasets: { type: 'string' },
      work: { type: 'string' },
      'no-progress': { type: 'boolean' },
      activity: { type: 'boolean' },
      findings: { type: 'boolean' },
      'what-if': { type: 'string' },
      'no-what-if': { type: 'boolean' },
      defence: { type: 'string' },
      port: { type: 'string' },
      data: { type: 'string' },
      allow: { type: 'string', multiple: true },
      'upload-quota': { type: 'string' },
      per: { type: 'string' },
      jobs: { type: 'string' },
      jsonl: { type: 'string' },
      csv: { type: 'string' },
      shard: { type: 'string' },
      pdf: { type: 'string' },
      html: { type: 'string' },
      paper: { type: 'string' },
      title: { type: 'string' },
      'time-zone': { type: 'string' },
      'from-command': { type: 'string' },
      device: { type: 'string', multiple: true },
      'i-own-this-network': { type: 'boolean' },
      seconds: { type: 'string' },
      write: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    io.stdout(`${USAGE}\n`);
    return ExitCode.OK;
  }
  const allowed = COMMAND_OPTIONS[command as keyof typeof COMMAND_OPTIONS] as readonly string[] | undefined;
  if (allowed !== undefined) {
    for (const [name, value] of Object.entries(values)) {
      if (value !== undefined && name !== 'help' && !allowed.includes(name)) {
        throw new UsageError(`${command} does not take --${name}`);
      }
    }
  }
  const progressIo: CliIo = values['no-progress'] === true ? { ...io, progress: undefined } : io;
  const vpnProfile = parseProfile(values['vpn-profile']);
  if (values.labels !== undefined) checkInputFiles([values.labels], 'labels file');

  switch (command) {
    case 'analyze': {
      const auditing = values.activity === true || values.findings === true;
      if (values.models !== undefined && values.view === undefined && !auditing) {
        throw new UsageError('--models needs --view napt|vpn, --activity or --findings');
      }
      if (auditing && values.view !== undefined) {
        throw new UsageError(
          '--view cannot be combined with --activity / --findings (they use both observers)',
        );
      }
      if (values.view !== undefined && values.labels === undefined) {
        throw new UsageError(
          '--view scores the model per true device and needs --labels labels.csv; without labels, --findings shows what each observer can tell about each device',
        );
      }
      if ((values['what-if'] !== undefined || values['no-what-if'] === true) && values.findings !== true) {
        throw new UsageError('--what-if / --no-what-if need --findings');
      }
      const stdin = positionals.includes(STDIN_INPUT);
      if (stdin && values['what-if'] !== undefined)
        throw new UsageError(
          '--what-if reads the capture a second time, and standard input can be read only once: save the stream to a file (e.g. tcpdump -w home.pcap) and give that',
        );
      if (stdin && values.findings === true && values['no-what-if'] !== true)
        io.stderr(
          'Standard input is read once, so there are no defence what-ifs (they read the capture again): save the stream to a file for them.\n',
        );
      const defences =
        values['no-what-if'] === true || stdin
          ? []
          : values['what-if'] === undefined
            ? [...DEFAULT_DEFENCES]
            : values['what-if'].split(',').map((t) => parseDefenceOption(t, '--what-if'));
      checkInputFiles(positionals, 'capture file', true);
      const views =
        values['no-views'] === true
          ? []
          : values.views === undefined
            ? [...VIEW_NAMES]
            : values.views.split(',').map((v) => parseViewName(v, '--views'));
      return runAnalyze(
        {
          captures: positionals,
          labels: values.labels ?? null,
          json: values.json ?? null,
          csv: values.csv ?? null,
          views,
          vpnProfile,
          identify:
            values.view === undefined
              ? null
              : { view: parseModelView(values.view), modelsDir: values.models ?? defaultModelsDir() },
          audit: auditing
            ? {
                activity: values.activity === true,
                findings: values.findings === true,
                defences,
                modelsDir: values.models ?? defaultModelsDir(),
              }
            : null,
        },
        progressIo,
      );
    }
    case 'batch': {
      if (positionals.length === 0) throw new UsageError('batch needs capture files or folders');
      const per = values.per ?? 'capture';
      if (per !== 'capture' && per !== 'folder')
        throw new UsageError(`--per: "${per}" is not capture or folder`);
      const jobs = values.jobs === undefined ? 2 : Number(values.jobs);
      if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)
        throw new UsageError(`--jobs: "${values.jobs}" is not a whole number of worker threads from 1 to 64`);
      return runBatchCommand(
        {
          inputs: positionals,
          per,
          labels: values.labels ?? null,
          jobs,
          jsonl: values.jsonl ?? null,
          csv: values.csv ?? null,
          shard: values.shard === undefined ? null : parseShard(values.shard),
          modelsDir: values.models ?? defaultModelsDir(),
          vpnProfile,
        },
        progressIo,
      );
    }
    case 'report': {
      checkInputFiles(positionals, 'capture file');
      if ((values.device?.length ?? 0) > 1) throw new UsageError('report takes one --device');
      return runReport(
        {
          captures: positionals,
          labels: values.labels ?? null,
          pdf: values.pdf ?? null,
          html: values.html ?? null,
          paper: parsePaper(values.paper),
          device: values.device?.[0] ?? null,
          title: values.title ?? null,
          timeZone: parseTimeZone(values['time-zone']),
          whatIfs: values['no-what-if'] !== true,
          modelsDir: values.models ?? defaultModelsDir(),
          version: packageVersion(),
        },
        progressIo,
      );
    }
    case 'dataset': {
      if (values.labels === undefined) throw new UsageError('dataset needs --labels labels.csv');
      if (values.view === undefined) throw new UsageError(`dataset needs --view (${VIEW_NAMES.join(', ')})`);
      if (values.out === undefined) throw new UsageError('dataset needs --out DIR');
      checkInputFiles(positionals, 'capture file');
      return runDataset(
        {
          captures: positionals,
          labels: values.labels,
          view: parseViewName(values.view, '--view'),
          out: values.out,
          vpnProfile,
          defence: values.defence === undefined ? null : parseDefenceOption(values.defence, '--defence'),
        },
        progressIo,
      );
    }
    case 'eval': {
      if (positionals.length > 0) throw new UsageError('eval takes no capture files');
      return runEval(
        {
          modelsDir: values.models ?? defaultModelsDir(),
          datasetsDir: values.datasets ?? defaultDatasetsDir(),
          workDir: values.work ?? null,
          vpnProfile,
        },
        progressIo,
      );
    }
    case 'serve': {
      if (positionals.length > 0 && values['from-command'] !== undefined)
        throw new UsageError('give capture files or --from-command, not both');
      if (values['from-command']?.trim() === '') throw new UsageError('--from-command: the command is empty');
      if (positionals.length > 0) checkInputFiles(positionals, 'capture file');
      return runServe(
        {
          port: parsePort(values.port),
          dataDir: values.data ?? null,
          modelsDir: values.models ?? defaultModelsDir(),
          captures: positionals,
          labels: values.labels ?? null,
          fromCommand: values['from-command'] ?? null,
          allowFolders: (values.allow ?? []).map(checkFolder),
          uploadQuotaBytes: parseByteSize(values['upload-quota'], '--upload-quota') ?? 8 * 1024 ** 3,
        },
        io,
      );
    }
    case 'inspect': {
      if (positionals.length !== 1)
        throw new UsageError('inspect needs one interface, e.g. telltale inspect eth0');
      const seconds = values.seconds === undefined ? null : Number(values.seconds);
      if (seconds !== null && (!Number.isFinite(seconds) || seconds <= 0 || seconds > 7 * 86400))
        throw new UsageError(`--seconds: "${values.seconds}" is not a number of seconds (up to a week)`);
      return runInspect(
        {
          iface: positionals[0],
          devices: values.device ?? [],
          consent: values['i-own-this-network'] === true,
          seconds,
          write: values.write ?? null,
          json: values.json ?? null,
        },
        io,
      );
    }
    default:
      throw new UsageError(
        `unknown command "${command}" (commands: analyze, batch, dataset, eval, inspect, report, serve)`,
      );
  }
}

/** Runs the command line; resolves to the exit code and never rejects for user errors. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await runCommand(argv, io);
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.stderr(`telltale: ${(error as Error).message}\n(${USAGE_HINT})\n`);
      return ExitCode.USAGE;
    }
    if (
      error instanceof GroundTruthError ||
      error instanceof ManifestError ||
      error instanceof NoChromiumError ||
      error instanceof InferenceError
    ) {
      io.stderr(`telltale: ${error.message}\n`);
      return ExitCode.USAGE;
    }
    throw error;
  }
}

function isParseArgsError(error: unknown): boolean {
  if (!(error instanceof TypeError) || !('code' in error)) return false;
  const code: unknown = error.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const io: CliIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    progress: process.stderr,
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `telltale: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 70;
    },
  );
}
