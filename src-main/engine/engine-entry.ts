/**
 * The engine as Electron's utilityProcess runs it (plain Node: no `electron` import). The main
 * process sends one message carrying a MessagePort and the folders; requests and answers, and the
 * engine's events, then travel on that port as WireMessages.
 *
 *   main: utilityProcess.fork(engine-entry.js) → postMessage({ dataDir, modelsDir, version }, [port])
 */
import { isRequestChannel, fail, type WireMessage } from '../shared/ipc-contract.ts';
import { quoteValue } from '../shared/request-validation.ts';
import { Engine } from './engine.ts';

/** The part of a MessagePortMain the entry uses (so it is tested with a Node MessageChannel). */
export interface EnginePort {
  postMessage(message: WireMessage): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): unknown;
  start(): void;
}

export interface EngineStart {
  dataDir: string;
  modelsDir: string;
  version: string;
}

/** Serves the engine on `port` until the process ends. */
export function serveEngine(port: EnginePort, start: EngineStart): Engine {
  const engine = new Engine({
    ...start,
    mode: 'desktop',
    emit: (event, payload) => {
      port.postMessage({ type: 'event', event, payload });
    },
  });
  port.on('message', (e) => {
    // only the main process writes to this port, and it checked the request (ipc-routes.ts);
    // still, a message of the wrong shape is answered or dropped, never thrown on
    const m = (typeof e.data === 'object' && e.data !== null ? e.data : {}) as Partial<
      Record<'type' | 'id' | 'channel' | 'payload', unknown>
    >;
    if (m.type !== 'request' || typeof m.id !== 'number') return;
    const id = m.id;
    const reply = isRequestChannel(m.channel)
      ? engine.handle(m.channel, m.payload ?? null)
      : Promise.resolve(fail('bad-request', `unknown request ${quoteValue(m.channel)}`));
    void reply.then((result) => {
      port.postMessage({ type: 'response', id, result });
    });
  });
  port.start();
  return engine;
}

interface ParentPort {
  once(event: 'message', listener: (e: { data: unknown; ports: EnginePort[] }) => void): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (parentPort !== undefined) {
  parentPort.once('message', (e) => {
    const port = e.ports[0];
    if (port === undefined) throw new Error('engine-entry: the first message must carry a MessagePort');
    const engine = serveEngine(port, e.data as EngineStart);
    // the app ends the engine with SIGTERM when it quits: close it first, so that a capture
    // ends cleanly and inspect mode puts the network back itself (its watchdog is the fallback)
    process.once('SIGTERM', () => {
      engine.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  });
}
