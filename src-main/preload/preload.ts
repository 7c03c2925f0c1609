/**
 * The preload script of the app's window (sandboxed: bundled into one CommonJS file by the build).
 * It exposes exactly one object, `window.telltale`, the typed API of the IPC contract.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { IPC_EVENT, IPC_GRANT_FILES, IPC_REQUEST } from '../shared/ipc-contract.ts';
import { createRendererApi } from './renderer-api.ts';

const api = createRendererApi({
  invoke: (channel, payload) => ipcRenderer.invoke(IPC_REQUEST, channel, payload),
  onEvent: (listener) => {
    const handler = (_e: Electron.IpcRendererEvent, event: unknown, payload: unknown): void => {
      listener(event, payload);
    };
    ipcRenderer.on(IPC_EVENT, handler);
    return () => ipcRenderer.off(IPC_EVENT, handler);
  },
  pathForFile: (file) => webUtils.getPathForFile(file),
  grantFiles: (paths) => ipcRenderer.invoke(IPC_GRANT_FILES, paths),
});

contextBridge.exposeInMainWorld('telltale', api);
