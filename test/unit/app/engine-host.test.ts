import { describe, expect, it } from 'vitest';
import {
  EngineHost,
  forkUtilityProcess,
  MAX_QUICK_CRASHES,
  type EnginePortMain,
  type EngineProcess,
  type UtilityProcessApi,
} from '../../../src-main/app/engine-host.ts';
import { CRASH_WINDOW_MS, EngineRequests } from '../../../src-main/app/ipc-routes.ts';
import type { RequestChannel, Result, WireMessage } from '../../../src-main/shared/ipc-contract.ts';

/** The main side of a fake engine's port: what the host posted, and the engine's replies. */
class FakePort implements EnginePortMain {
  readonly posted: WireMessage[] = [];
  started = false;
  private listener: ((e: { data: unknown }) => void) | null = null;

  postMessage(message: WireMessage): void {
    this.posted.push(message);
  }
  on(_event: 'message', listener: (e: { data: unknown }) => void): void {
    this.listener = listener;
  }
  start(): void {
    this.started = true;
  }
  /** The requests posted, without their ids. */
  requests(): { channel: RequestChannel; payload: unknown }[] {
    return this.posted.flatMap((m) =>
      m.type === 'request' ? [{ channel: m.channel, payload: m.payload }] : [],
    );
  }
  /** The engine answers the request it was sent on `channel`. */
  answer(channel: RequestChannel, result: Result<unknown>): void {
    const request = this.posted.find((m) => m.type === 'request' && m.channel === channel);
    if (request?.type !== 'request') throw new Error(`no request on ${channel}`);
    this.listener?.({ data: { type: 'response', id: request.id, result } });
  }
  event(event: string, payload: unknown): void {
    this.listener?.({ data: { type: 'event', event, payload } });
  }
}

class FakeEngine implements EngineProcess {
  readonly port = new FakePort();
  killed = false;
  private exitListener: ((code: number) => void) | null = null;

  onExit(listener: (code: number) => void): void {
    this.exitListener = listener;
  }
  kill(): void {
    this.killed = true;
  }
  exit(code: number): void {
    const l = this.exitListener;
    this.exitListener = null;
    l?.(code);
  }
}

function setup() {
  const engines: FakeEngine[] = [];
  const toWindow: { event: string; payload: unknown }[] = [];
  const scheduled: { run: () => void; ms: number }[] = [];
  const clock = { now: 1_000_000 };
  const host = new EngineHost({
    fork: () => {
      const e = new FakeEngine();
      engines.push(e);
      return e;
    },
    toWindow: (event, payload) => toWindow.push({ event, payload }),
    requests: new EngineRequests(60_000),
    now: () => clock.now,
    schedule: (run, ms) => scheduled.push({ run, ms }),
  });
  /** Runs the restart the host scheduled last. */
  const restart = (): void => {
    const s = scheduled.at(-1);
    if (s === undefined) throw new Error('no restart scheduled');
    s.run();
  };
  const statuses = () => toWindow.filter((m) => m.event === 'engine.status').map((m) => m.payload);
  const latest = () => engines.at(-1)!;
  return { host, engines, toWindow, scheduled, clock, restart, statuses, latest };
}

const OK = { ok: true, value: null } as const;

describe('the engine host', () => {
  it('sends requests on the engine’s port, resolves them with its answers and passes its events to the window', async () => {
    const { host, engines, toWindow, latest } = setup();
    expect(host.running).toBe(false);
    host.start();
    expect(engines).toHaveLength(1);
    expect(host.running).toBe(true);
    expect(latest().port.started).toBe(true);

    const answer = host.request('session.snapshot', null);
    expect(latest().port.requests()).toEqual([{ channel: 'session.snapshot', payload: null }]);
    latest().port.answer('session.snapshot', { ok: true, value: { devices: 3 } });
    await expect(answer).resolves.toEqual({ ok: true, value: { devices: 3 } });

    latest().port.event('snapshot', { tick: 1 });
    // no status at the first start: the window assumes a running engine
    expect(toWindow).toEqual([{ event: 'snapshot', payload: { tick: 1 } }]);
  });

  it('fails open requests when the engine exits, says it is restarting and refuses requests until it is back', async () => {
    const { host, engines, scheduled, statuses, restart, latest } = setup();
    host.start();
    const pending = host.request('session.snapshot', null);
    latest().exit(3);
    await expect(pending).resolves.toMatchObject({
      ok: false,
      error: { code: 'unavailable', message: 'the engine stopped; it is being restarted' },
    });
    expect(host.running).toBe(false);
    expect(statuses()).toEqual([{ state: 'restarting', message: 'the engine exited with code 3' }]);
    expect(scheduled).toHaveLength(1);

    await expect(host.request('session.snapshot', null)).resolves.toMatchObject({
      ok: false,
      error: { code: 'unavailable', message: 'the engine is restarting; try again in a moment' },
    });
    expect(engines[0].port.posted).toHaveLength(1);

    restart();
    expect(engines).toHaveLength(2);
    expect(host.running).toBe(true);
    // nothing to reopen: running again at once
    expect(statuses().at(-1)).toEqual({ state: 'running', message: null });
  });

  it('backs off while the engine keeps crashing soon after its start, and starts over after a long run', () => {
    const { host, scheduled, clock, restart, latest } = setup();
    host.start();
    for (let i = 0; i < 4; i++) {
      clock.now += 1000;
      latest().exit(1);
      restart();
    }
    expect(scheduled.map((s) => s.ms)).toEqual([1000, 2000, 4000, 8000]);
    expect(host.crashCount).toBe(4);

    clock.now += CRASH_WINDOW_MS;
    latest().exit(1);
    expect(scheduled.at(-1)!.ms).toBe(500);
    expect(host.crashCount).toBe(0);
    restart();

    clock.now += CRASH_WINDOW_MS - 1;
    latest().exit(1);
    expect(scheduled.at(-1)!.ms).toBe(1000);
  });

  it('reopens the session in a restarted engine (files as fast as possible) and says running once it answers', async () => {
    const { host, engines, statuses, restart, latest } = setup();
    host.start();
    const opened = host.request('capture.openFiles', { paths: ['/caps/a.pcap'], speed: 4 });
    latest().port.answer('capture.openFiles', OK);
    await opened;

    latest().exit(1);
    restart();
    expect(engines).toHaveLength(2);
    expect(latest().port.requests()).toEqual([
      { channel: 'capture.openFiles', payload: { paths: ['/caps/a.pcap'], speed: 'max' } },
    ]);
    expect(statuses()).toEqual([{ state: 'restarting', message: 'the engine exited with code 1' }]);

    latest().port.answer('capture.openFiles', OK);
    await new Promise((resolve) => setImmediate(resolve));
    expect(statuses().at(-1)).toEqual({ state: 'running', message: null });
  });

  it('does not reopen a session whose request failed, nor a live capture the person stopped', async () => {
    const { host, restart, latest } = setup();
    host.start();
    const live = host.request('capture.startLive', { interface: 'eth0' });
    latest().port.answer('capture.startLive', OK);
    await live;
    const stop = host.request('capture.stop', null);
    latest().port.answer('capture.stop', OK);
    await stop;
    const files = host.request('capture.openFiles', { paths: ['/caps/b.pcap'] });
    latest().port.answer('capture.openFiles', { ok: false, error: { code: 'unreadable', message: 'no' } });
    await files;

    latest().exit(1);
    restart();
    expect(latest().port.posted).toEqual([]);
  });

  it('ends the engine when stopped and does not restart it', async () => {
    const { host, scheduled, statuses, latest } = setup();
    host.start();
    const pending = host.request('session.snapshot', null);
    host.stop();
    expect(latest().killed).toBe(true);
    latest().exit(0);
    await expect(pending).resolves.toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(scheduled).toEqual([]);
    expect(statuses()).toEqual([]);
    expect(host.running).toBe(false);
  });
});

describe('the engine as a utilityProcess', () => {
  it('forks the entry, sends it the start facts with the far end of a fresh channel, and ends it', () => {
    const forks: { modulePath: string; args: string[]; options: unknown; child: FakeChild }[] = [];
    const channels: { port1: object; port2: object }[] = [];
    class FakeChild {
      readonly messages: { message: unknown; transfer: unknown[] }[] = [];
      readonly onceCalls: { event: string; listener: (code: number) => void }[] = [];
      killed = 0;
      postMessage(message: unknown, transfer: unknown[]): void {
        this.messages.push({ message, transfer });
      }
      once(event: string, listener: (code: number) => void): this {
        this.onceCalls.push({ event, listener });
        return this;
      }
      kill(): boolean {
        this.killed++;
        return true;
      }
    }
    const electron = {
      fork: (modulePath: string, args: string[], options: unknown) => {
        const child = new FakeChild();
        forks.push({ modulePath, args, options, child });
        return child;
      },
      channel: () => {
        const c = { port1: { end: 1 }, port2: { end: 2 } };
        channels.push(c);
        return c;
      },
    } as unknown as UtilityProcessApi;
    let version = 0;
    const fork = forkUtilityProcess(electron, '/app/dist/engine-entry.js', () => ({
      dataDir: '/data',
      modelsDir: '/models',
      version: `0.${++version}`,
    }));
    expect(forks).toHaveLength(0);

    const first = fork();
    expect(forks).toHaveLength(1);
    expect(forks[0]).toMatchObject({
      modulePath: '/app/dist/engine-entry.js',
      args: [],
      options: { serviceName: 'Telltale engine', stdio: 'inherit' },
    });
    const child = forks[0].child;
    expect(child.messages).toEqual([
      { message: { dataDir: '/data', modelsDir: '/models', version: '0.1' }, transfer: [channels[0].port2] },
    ]);
    expect(first.port).toBe(channels[0].port1);

    const exits: number[] = [];
    first.onExit((code) => exits.push(code));
    const onceCalls = child.onceCalls;
    expect(onceCalls.map((c) => c.event)).toEqual(['exit']);
    onceCalls[0].listener(9);
    expect(exits).toEqual([9]);
    first.kill();
    expect(child.killed).toBe(1);

    // each start asks for the start facts again, on a channel of its own
    fork();
    expect(forks[1].child.messages[0].message).toMatchObject({ version: '0.2' });
    expect(forks[1].child.messages[0].transfer).toEqual([channels[1].port2]);
  });
});

describe('EngineHost giving up and quitting', () => {
  it('stops restarting after MAX_QUICK_CRASHES quick crashes in a row, and says so', () => {
    const { host, engines, toWindow, restart } = setup();
    host.start();
    for (let i = 0; i < MAX_QUICK_CRASHES - 1; i++) {
      engines.at(-1)!.exit(1);
      restart();
    }
    engines.at(-1)!.exit(1);
    const last = toWindow.at(-1)!;
    expect(last.event).toBe('engine.status');
    expect(last.payload).toMatchObject({ state: 'failed' });
    expect((last.payload as { message: string }).message).toMatch(/stopped restarting it/);
    expect(engines).toHaveLength(MAX_QUICK_CRASHES);
    expect(host.running).toBe(false);
  });

  it('does not start an engine whose restart was due when the app began to quit', () => {
    const { host, engines, scheduled } = setup();
    host.start();
    engines[0].exit(1);
    host.stop();
    scheduled.at(-1)!.run();
    expect(engines).toHaveLength(1);
    expect(host.running).toBe(false);
  });
});
