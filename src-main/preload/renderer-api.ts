/**
 * The API object the preload script gives the renderer, built from the IPC contract (plain code,
 * no `electron` import: preload.ts passes in ipcRenderer's functions, so this is tested with
 * fakes). Requests go to the main process, which routes them; events arrive on one channel.
 */
import {
  EventListeners,
  fail,
  type EventChannel,
  type EventMap,
  type RequestChannel,
  type RequestOf,
  type ResponseOf,
  type Result,
  type TelltaleApi,
} from '../shared/ipc-contract.ts';

export interface PreloadBridge {
  invoke(channel: RequestChannel, payload: unknown): Promise<unknown>;
  /** Subscribes to the one event channel; returns the unsubscribe function. */
  onEvent(listener: (event: unknown, payload: unknown) => void): () => void;
  /** The file system path of a File the person dropped or picked (webUtils.getPathForFile). */
  pathForFile(file: File): string;
  /** Tells the main process the person chose these files (the engine may then read them). */
  grantFiles(paths: string[]): Promise<unknown>;
}

function isResult(v: unknown): v is Result<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { ok?: unknown }).ok === 'boolean';
}

export function createRendererApi(bridge: PreloadBridge): TelltaleApi {
  const listeners = new EventListeners();
  bridge.onEvent((event, payload) => {
    listeners.dispatch(event, payload);
  });
  return Object.freeze({
    async request<K extends RequestChannel>(
      channel: K,
      payload: RequestOf<K>,
    ): Promise<Result<ResponseOf<K>>> {
      try {
        const r = await bridge.invoke(channel, payload);
        return (isResult(r) ? r : fail('internal', `${channel}: malformed answer`)) as Result<ResponseOf<K>>;
      } catch (error) {
        return fail('internal', `${channel}: ${(error as Error).message}`);
      }
    },
    on<E extends EventChannel>(event: E, listener: (payload: EventMap[E]) => void): () => void {
      return listeners.on(event, listener);
    },
    async pathsForFiles(files: readonly File[]): Promise<Result<string[]>> {
      const paths = files.map((f) => bridge.pathForFile(f));
      if (paths.some((p) => p === ''))
        return fail('unreadable', 'a dropped item is not a file on this computer');
      try {
        const granted = await bridge.grantFiles(paths);
        if (isResult(granted) && !granted.ok) return granted;
      } catch (error) {
        return fail('internal', `the files could not be opened: ${(error as Error).message}`);
      }
      return { ok: true, value: paths };
    },
  });
}
