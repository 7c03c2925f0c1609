/**
 * Electron's main process, composed: one instance, the app:// protocol serving the built UI, the
 * session's permission and request rules, the IPC route table (native dialogs here, everything
 * else to the engine), the menu, the window (main-window.ts) and the engine in a utilityProcess
 * that is restarted when it crashes (engine-host.ts). Security rules are in security.ts, routing
 * in ipc-routes.ts, the menu in menu.ts (all plain, tested under Node).
 */
import { readFile } from 'node:fs/promises';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  MessageChannelMain,
  protocol,
  session,
  shell,
  utilityProcess,
} from 'electron';
import { IPC_GRANT_FILES, IPC_REQUEST } from '../shared/ipc-contract.ts';
import { appPaths } from '../store/folders.ts';
import { EngineHost, forkUtilityProcess } from './engine-host.ts';
import { checkIpcRequest, desktopGrants, grantDroppedFiles, ROUTES, type IpcSender } from './ipc-routes.ts';
import { guardWebContents, MainWindow } from './main-window.ts';
import { applicationMenu } from './menu.ts';
import { APP_HOST, APP_SCHEME, appFile, isAllowedRequest, responseHeaders } from './security.ts';

protocol.registerSchemesAsPrivileged([
  {
    scheme: APP_SCHEME,
    privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
  },
]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  const paths = appPaths(app.getAppPath(), app.isPackaged, process.resourcesPath);
  /** The files the person picked in a dialog or dropped: the only ones the window may have opened. */
  const grants = desktopGrants();
  const mainWindow = new MainWindow({ electron: { BrowserWindow, dialog, shell }, preload: paths.preload });
  const engine = new EngineHost({
    fork: forkUtilityProcess(
      {
        fork: (modulePath, args, options) => utilityProcess.fork(modulePath, args, options),
        channel: () => new MessageChannelMain(),
      },
      paths.engineEntry,
      () => ({ dataDir: app.getPath('userData'), modelsDir: paths.modelsDir, version: app.getVersion() }),
    ),
    toWindow: (event, payload) => {
      mainWindow.send(event, payload);
    },
  });

  app.on('second-instance', () => {
    mainWindow.bringToFront();
  });

  app.on('web-contents-created', (_e, contents) => {
    guardWebContents(contents);
  });

  void app.whenReady().then(() => {
    const ses = session.defaultSession;
    ses.setPermissionRequestHandler((_wc, _permission, callback) => {
      callback(false);
    });
    ses.setPermissionCheckHandler(() => false);
    ses.webRequest.onBeforeRequest((details, callback) => {
      callback({ cancel: !isAllowedRequest(details.url) });
    });
    protocol.handle(APP_SCHEME, async (request) => {
      const file = appFile(paths.rendererDir, request.url);
      if (file === null || new URL(request.url).host !== APP_HOST)
        return new Response('not found', { status: 404 });
      try {
        return new Response(await readFile(file), { headers: responseHeaders(file) });
      } catch {
        return new Response('not found', { status: 404 });
      }
    });
    const senderOf = (event: Electron.IpcMainInvokeEvent): IpcSender => ({
      isAppWindow: mainWindow.isAppContents(event.sender),
      frameUrl: event.senderFrame?.url,
    });
    ipcMain.handle(IPC_REQUEST, async (event, channel: unknown, payload: unknown) => {
      const checked = checkIpcRequest(senderOf(event), channel, payload, grants);
      if (!checked.ok) return checked;
      const { channel: c, payload: p } = checked.value;
      return ROUTES[c] === 'main' ? mainWindow.chooseCaptures(grants) : engine.request(c, p);
    });
    ipcMain.handle(IPC_GRANT_FILES, (event, paths: unknown) =>
      grantDroppedFiles(senderOf(event), paths, grants),
    );
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        applicationMenu(process.platform, {
          openCaptures: () => {
            void mainWindow.chooseCaptures(grants).then((r) => {
              if (r.ok) void engine.request('capture.openFiles', { paths: r.value });
            });
          },
          savePageAsPdf: () => {
            void mainWindow.savePageAsPdf();
          },
        }),
      ),
    );
    engine.start();
    mainWindow.open();
  });

  app.on('before-quit', () => {
    engine.stop();
  });

  app.on('window-all-closed', () => {
    app.quit();
  });
}
