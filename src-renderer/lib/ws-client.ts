/**
 * The API over a WebSocket (browser mode): requests carry an id and resolve with the matching
 * response; events go to their subscribers. Reconnects with a growing pause when the connection
 * drops, failing the requests that were in flight with an error as data (never a rejection).
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
  type WireMessage,
} from '../../src-main/shared/ipc-contract.ts';

export type ConnectionState = 'connecting' | 'open' | 'lost';

export interface WebSocketApiOptions {
  /** ws://host:port/api?token=… */
  url: string;
  /** http://host:port/upload?token=… (files are uploaded there). */
  uploadUrl: string;
  onConnection?: (state: ConnectionState) => void;
  /** Milliseconds before a request without an answer fails (default 120 s). */
  timeoutMs?: number;
  /** The WebSocket constructor (tests pass a fake). */
  WebSocketImpl?: typeof WebSocket;
  fetchImpl?: typeof fetch;
}

interface Pending {
  resolve: (r: Result<unknown>) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class WebSocketApi implements TelltaleApi {
  private ws: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly queue: string[] = [];
  private readonly listeners = new EventListeners();
  private retryMs = 250;
  private closed = false;

  constructor(private readonly options: WebSocketApiOptions) {
    this.connect();
  }

  private connect(): void {
    const Impl = this.options.WebSocketImpl ?? WebSocket;
    this.options.onConnection?.('connecting');
    const ws = new Impl(this.options.url);
    this.ws = ws;
    ws.onopen = () => {
      this.retryMs = 250;
      this.options.onConnection?.('open');
      for (const text of this.queue.splice(0)) ws.send(text);
    };
    ws.onmessage = (e: MessageEvent) => {
      if (typeof e.data === 'string') this.receive(e.data);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.resolve(fail('unavailable', 'the connection to the engine was lost'));
        this.pending.delete(id);
      }
      if (this.closed) return;
      this.options.onConnection?.('lost');
      setTimeout(() => {
        this.connect();
      }, this.retryMs);
      this.retryMs = Math.min(5000, this.retryMs * 2);
    };
  }

  private receive(text: string): void {
    let m: WireMessage;
    try {
      m = JSON.parse(text) as WireMessage;
    } catch {
      return;
    }
    if (m.type === 'response') {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      p.resolve(m.result);
    } else if (m.type === 'event') {
      this.listeners.dispatch(m.event, m.payload);
    }
  }

  request<K extends RequestChannel>(channel: K, payload: RequestOf<K>): Promise<Result<ResponseOf<K>>> {
    const id = this.nextId++;
    const text = JSON.stringify({ type: 'request', id, channel, payload } satisfies WireMessage);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(fail('unavailable', `${channel}: the engine did not answer`));
      }, this.options.timeoutMs ?? 120_000);
      this.pending.set(id, { resolve: resolve as (r: Result<unknown>) => void, timer });
      const ws = this.ws;
      if (ws !== null && ws.readyState === 1) ws.send(text);
      else this.queue.push(text);
    });
  }

  on<E extends EventChannel>(event: E, listener: (payload: EventMap[E]) => void): () => void {
    return this.listeners.on(event, listener);
  }

  async pathsForFiles(files: readonly File[]): Promise<Result<string[]>> {
    const fetchImpl = this.options.fetchImpl ?? fetch;
    const paths: string[] = [];
    for (const file of files) {
      const url = `${this.options.uploadUrl}&name=${encodeURIComponent(file.name)}`;
      let r: Result<{ path: string }>;
      try {
        const res = await fetchImpl(url, { method: 'POST', body: file });
        r = (await res.json()) as Result<{ path: string }>;
      } catch (error) {
        return fail('unavailable', `${file.name}: the upload failed (${(error as Error).message})`);
      }
      if (!r.ok) return r;
      paths.push(r.value.path);
    }
    return { ok: true, value: paths };
  }

  close(): void {
    this.closed = true;
    this.ws?.close();
  }
}
