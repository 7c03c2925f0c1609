/**
 * The renderer's one way to the engine: the desktop app's preload puts the API on
 * `window.telltale`; in a browser (telltale serve) it is a WebSocket client to the page's own
 * server, with the access token from the page's URL.
 */
import type { TelltaleApi } from '../../src-main/shared/ipc-contract.ts';
import { WebSocketApi, type ConnectionState } from './ws-client.ts';

declare global {
  interface Window {
    telltale?: TelltaleApi;
  }
}

export function connectApi(onConnection: (state: ConnectionState) => void): TelltaleApi {
  if (window.telltale !== undefined) {
    onConnection('open');
    return window.telltale;
  }
  const token = new URLSearchParams(window.location.search).get('token') ?? '';
  const host = window.location.host;
  const t = encodeURIComponent(token);
  return new WebSocketApi({
    url: `ws://${host}/api?token=${t}`,
    uploadUrl: `${window.location.protocol}//${host}/upload?token=${t}`,
    onConnection,
  });
}
