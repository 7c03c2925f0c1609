/**
 * The main side of the engine process (no runtime `electron` import: main.ts passes Electron's
 * `utilityProcess` and `MessageChannelMain` in, so this is tested under Node with a fake fork and
 * port). The host starts the engine, sends it requests over its MessagePort, passes its events to
 * the window, and when it exits restarts it with a back-off (`restartDelay`, growing while it
 * keeps crashing within `CRASH_WINDOW_MS` of a start) and reopens the session it had
 * (`SessionMemory`), telling the window with `engine.status` events.
 */
import type { MessageChannelMain, UtilityProcess } from 'electron';
import type { EngineStart } from '../engine/engine-entry.ts';
import {
  fail,
  type EngineStatus,
  type RequestChannel,
  type Result,
  type WireMessage,
} from '../shared/ipc-contract.ts';
import { CRASH_WINDOW_MS, EngineRequests, restartDelay, SessionMemory } from './ipc-routes.ts';

/** The part of a MessagePortMain the host uses. */
export interface EnginePortMain {
  postMessage(message: WireMessage): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): unknown;
  start(): void;
}

/** A started engine process: the port its requests travel on, and how it ends. */
export interface EngineProcess {
  port: EnginePortMain;
  /** Calls `listener` once, when the process has exited. */
  onExit(listener: (code: number) => void): void;
  kill(): void;
}

/** Starts one engine process (its start message already sent). */
export type ForkEngine = () => EngineProcess;

/** What `forkUtilityProcess` uses of Electron. */
export interface UtilityProcessApi {
  /** `utilityProcess.fork`. */
  fork(modulePath: string, args: string[], options: Electron.ForkOptions): UtilityProcess;
  /** `new MessageChannelMain()`. */
  channel(): MessageChannelMain;
}

/**
 * The engine as an Electron utilityProcess running `entry` (engine-entry.ts): its first message
 * carries the start facts (asked for at each start) and the far end of a fresh MessageChannel.
 */
export function forkUtilityProcess(
  electron: UtilityProcessApi,
  entry: string,
  start: () => EngineStart,
): ForkEngine {
  return () => {
    const channel = electron.channel();
    const child = electron.fork(entry, [], { serviceName: 'Telltale engine', stdio: 'inherit' });
    child.postMessage(start(), [channel.port2]);
    return {
      port: channel.port1,
      onExit: (listener) => {
        child.once('exit', listener);
      },
      kill: () => {
        child.kill();
      },
    };
  };
}

/** Quick crashes in a row (each within CRASH_WINDOW_MS of its start) after which the host gives up. */
export const MAX_QUICK_CRASHES = 6;

export interface EngineHostOptions {
  fork: ForkEngine;
  /** Sends an event to the window: the engine's own, and `engine.status`. */
  toWindow: (event: string, payload: unknown) => void;
  requests?: EngineRequests;
  memory?: SessionMemory;
  /** Milliseconds since the epoch (Date.now). */
  now?: () => number;
  /** Runs `run` after `ms` milliseconds (setTimeout). */
  schedule?: (run: () => void, ms: number) => void;
}

export class EngineHost {
  private readonly fork: ForkEngine;
  private readonly toWindow: (event: string, payload: unknown) => void;
  private readonly requests: EngineRequests;
  private readonly memory: SessionMemory;
  private readonly now: () => number;
  private readonly schedule: (run: () => void, ms: number) => void;
  private engine: EngineProcess | null = null;
  private stopping = false;
  private crashes = 0;
  private startedAt = 0;

  constructor(options: EngineHostOptions) {
    this.fork = options.fork;
    this.toWindow = options.toWindow;
    this.requests = options.requests ?? new EngineRequests();
    this.memory = options.memory ?? new SessionMemory();
    this.now = options.now ?? (() => Date.now());
    this.schedule =
      options.schedule ??
      ((run, ms) => {
        setTimeout(run, ms);
      });
  }

  /** Starts the engine (once, at start-up; it is restarted by the host when it exits). */
  start(): void {
    this.launch(false);
  }

  /** Whether an engine process is running now. */
  get running(): boolean {
    return this.engine !== null;
  }

  /** Consecutive quick crashes so far (0 after a run longer than CRASH_WINDOW_MS). */
  get crashCount(): number {
    return this.crashes;
  }

  /**
   * Sends a request to the engine; resolves with its answer, or an error as data (the engine is
   * restarting, it stopped before answering, it did not answer in time). Successful requests that
   * start a session are remembered, so a restarted engine reopens it.
   */
  request(channel: RequestChannel, payload: unknown): Promise<Result<unknown>> {
    const port = this.engine?.port ?? null;
    if (port === null)
      return Promise.resolve(fail('unavailable', 'the engine is restarting; try again in a moment'));
    return this.requests
      .send(
        (m) => {
          port.postMessage(m);
        },
        channel,
        payload,
      )
      .then((result) => {
        this.memory.note(channel, payload, result);
        return result;
      });
  }

  /** The app is quitting: ends the engine, and it is not restarted when it exits. */
  stop(): void {
    this.stopping = true;
    this.engine?.kill();
  }

  private status(s: EngineStatus): void {
    this.toWindow('engine.status', s);
  }

  private launch(reopen: boolean): void {
    this.startedAt = this.now();
    const engine = this.fork();
    this.engine = engine;
    engine.port.on('message', (e) => {
      const m = e.data as Partial<WireMessage> | null;
      if (m?.type === 'response' && typeof m.id === 'number' && m.result !== undefined)
        this.requests.receive(m.id, m.result);
      else if (m?.type === 'event' && typeof m.event === 'string') this.toWindow(m.event, m.payload);
    });
    engine.port.start();
    engine.onExit((code) => {
      this.engine = null;
      this.requests.failAll('the engine stopped; it is being restarted');
      if (this.stopping) return;
      this.crashes = this.now() - this.startedAt < CRASH_WINDOW_MS ? this.crashes + 1 : 0;
      if (this.crashes >= MAX_QUICK_CRASHES) {
        this.status({
          state: 'failed',
          message:
            `the engine exited with code ${code}, ${this.crashes} times in a row within a minute of starting; ` +
            'Telltale stopped restarting it. Quit and start the app again, and report the problem if it stays.',
        });
        return;
      }
      this.status({ state: 'restarting', message: `the engine exited with code ${code}` });
      this.schedule(() => {
        // the app may have begun to quit while the restart waited
        if (!this.stopping) this.launch(true);
      }, restartDelay(this.crashes));
    });
    if (reopen) {
      const request = this.memory.reopenRequest();
      if (request === null) this.status({ state: 'running', message: null });
      else
        void this.request(request.channel, request.payload).then((r) => {
          this.status({
            state: 'running',
            message: r.ok
              ? null
              : `the engine restarted, but the session could not be reopened: ${r.error.message}`,
          });
        });
    }
  }
}
