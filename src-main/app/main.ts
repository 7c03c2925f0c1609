/**
 * Electron's main process: one instance, one window, the menus, the app:// protocol serving the
 * built UI, the IPC route table (native dialogs here, everything else to the engine), and the
 * engine in a utilityProcess that is restarted when it crashes, with its session reopened.
 * Security rules are in security.ts, routing in ipc-routes.ts (both plain, tested under Node).
 */
import { readFile, writeFile } from 'node:fs/promises';
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
  type MessagePortMain,
  type UtilityProcess,
} from 'electron';
import {
  fail,
  IPC_EVENT,
  IPC_GRANT_FILES,
  IPC_REQUEST,
  type EngineStatus,
  type Result,
  type WireMessage,
} from '../shared/ipc-contract.ts';
import { appPaths } from './app-paths.ts';
import {
  checkIpcRequest,
  CRASH_WINDOW_MS,
  desktopGrants,
  EngineRequests,
  grantDroppedFiles,
  restartDelay,
  ROUTES,
  SessionMemory,
  type IpcSender,
} from './ipc-routes.ts';
import {
  APP_HOST,
  APP_SCHEME,
  APP_START_URL,
  appFile,
  isAllowedRequest,
  isAppUrl,
  responseHeaders,
  secureWebPreferences,
} from './security.ts';

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
  let window: BrowserWindow | null = null;
  const requests = new EngineRequests();
  const memory = new SessionMemory();
  /** The files the person picked in a dialog or dropped: the only ones the window may have opened. */
  const grants = desktopGrants();
  let engine: UtilityProcess | null = null;
  let port: MessagePortMain | null = null;
  let quitting = false;
  let crashes = 0;
  let startedAt = 0;

  const sendToWindow = (event: string, payload: unknown): void => {
    if (window !== null && !window.isDestroyed()) window.webContents.send(IPC_EVENT, event, payload);
  };
  const status = (s: EngineStatus): void => {
    sendToWindow('engine.status', s);
  };

  function startEngine(reopen: boolean): void {
    startedAt = Date.now();
    const channel = new MessageChannelMain();
    const child = utilityProcess.fork(paths.engineEntry, [], {
      serviceName: 'Telltale engine',
      stdio: 'inherit',
    });
    engine = child;
    port = channel.port1;
    channel.port1.on('message', (e) => {
      const m = e.data as WireMessage;
      if (m.type === 'response') requests.receive(m.id, m.result);
      else if (m.type === 'event') sendToWindow(m.event, m.payload);
    });
    channel.port1.start();
    child.postMessage(
      { dataDir: app.getPath('userData'), modelsDir: paths.modelsDir, version: app.getVersion() },
      [channel.port2],
    );
    child.once('exit', (code) => {
      port = null;
      engine = null;
      requests.failAll('the engine stopped; it is being restarted');
      if (quitting) return;
      crashes = Date.now() - startedAt < CRASH_WINDOW_MS ? crashes + 1 : 0;
      status({ state: 'restarting', message: `the engine exited with code ${code}` });
      setTimeout(() => {
        startEngine(true);
      }, restartDelay(crashes));
    });
    if (reopen) {
      const request = memory.reopenRequest();
      const done = (): void => {
        status({ state: 'running', message: null });
      };
      if (request === null) done();
      else void toEngine(request.channel, request.payload).then(done);
    }
  }

  function toEngine(channel: keyof typeof ROUTES, payload: unknown): Promise<Result<unknown>> {
    const p = port;
    if (p === null)
      return Promise.resolve(fail('unavailable', 'the engine is restarting; try again in a moment'));
    return requests
      .send(
        (m) => {
          p.postMessage(m);
        },
        channel,
        payload,
      )
      .then((result) => {
        memory.note(channel, payload, result);
        return result;
      });
  }

  async function chooseCaptures(): Promise<Result<unknown>> {
    if (window === null) return fail('unavailable', 'no window');
    const r = await dialog.showOpenDialog(window, {
      title: 'Open capture files',
      properties: ['openFile', 'multiSelections'],
      filters: [
        { name: 'Captures (pcap, pcapng, gzip)', extensions: ['pcap', 'pcapng', 'cap', 'gz'] },
        { name: 'All files', extensions: ['*'] },
      ],
    });
    if (r.canceled) return fail('cancelled', 'no file chosen');
    for (const path of r.filePaths) grants.allowFile(path);
    return { ok: true, value: r.filePaths };
  }

  function createWindow(): void {
    window = new BrowserWindow({
      width: 1280,
      height: 800,
      minWidth: 1024,
      minHeight: 640,
      title: 'Telltale',
      show: false,
      webPreferences: secureWebPreferences(paths.preload),
    });
    window.once('ready-to-show', () => window?.show());
    const contents = window.webContents;
    // a renderer that fails before its first layout never fires ready-to-show: show the window
    // anyway, so the person sees what happened instead of an app with no window
    const showAnyway = (): void => {
      if (window !== null && !window.isDestroyed() && !window.isVisible()) window.show();
    };
    setTimeout(showAnyway, 5000).unref();
    contents.on('did-fail-load', (_e, code, description, url) => {
      showAnyway();
      dialog.showErrorBox('Telltale could not show its window', `${url}: ${description} (${code})`);
    });
    contents.on('render-process-gone', (_e, details) => {
      showAnyway();
      if (details.reason !== 'clean-exit')
        dialog.showErrorBox(
          'Telltale’s window stopped',
          `The window’s page ended (${details.reason}). View ▸ Reload shows it again; your capture is kept by the engine.`,
        );
    });
    contents.on('will-navigate', (e, url) => {
      if (!isAppUrl(url)) e.preventDefault();
    });
    contents.on('will-redirect', (e, url) => {
      if (!isAppUrl(url)) e.preventDefault();
    });
    contents.setWindowOpenHandler(({ url }) => {
      // links to the outside open in the person's browser, never in the app
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
    contents.on('will-attach-webview', (e) => {
      e.preventDefault();
    });
    void window.loadURL(APP_START_URL);
    window.on('closed', () => {
      window = null;
    });
  }

  /** Saves the page on screen as a PDF where the person chooses (File ▸ Save Page as PDF…). */
  async function savePageAsPdf(): Promise<void> {
    const win = window;
    if (win === null) return;
    const r = await dialog.showSaveDialog(win, {
      title: 'Save this page as PDF',
      defaultPath: `telltale-${new Date().toISOString().slice(0, 10)}.pdf`,
      filters: [{ name: 'PDF', extensions: ['pdf'] }],
    });
    if (r.canceled || r.filePath === undefined || r.filePath === '') return;
    try {
      const pdf = await win.webContents.printToPDF({ printBackground: true, pageSize: 'A4' });
      await writeFile(r.filePath, pdf);
    } catch (error) {
      dialog.showErrorBox('Could not save the PDF', `${r.filePath}: ${(error as Error).message}`);
    }
  }

  function buildMenu(): void {
    const open = (): void => {
      void chooseCaptures().then((r) => {
        if (r.ok) void toEngine('capture.openFiles', { paths: r.value as string[] });
      });
    };
    Menu.setApplicationMenu(
      Menu.buildFromTemplate([
        ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
        {
          label: 'File',
          submenu: [
            { label: 'Open Capture…', accelerator: 'CmdOrCtrl+O', click: open },
            {
              label: 'Save Page as PDF…',
              accelerator: 'CmdOrCtrl+P',
              click: () => {
                void savePageAsPdf();
              },
            },
            { type: 'separator' },
            process.platform === 'darwin' ? { role: 'close' } : { role: 'quit' },
          ],
        },
        { role: 'editMenu' },
        {
          label: 'View',
          submenu: [
            { role: 'reload' },
            { role: 'toggleDevTools' },
            { type: 'separator' },
            { role: 'resetZoom' },
            { role: 'zoomIn' },
            { role: 'zoomOut' },
            { type: 'separator' },
            { role: 'togglefullscreen' },
          ],
        },
        { role: 'windowMenu' },
      ]),
    );
  }

  app.on('second-instance', () => {
    if (window === null) return;
    if (window.isMinimized()) window.restore();
    if (!window.isVisible()) window.show();
    window.focus();
  });

  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (ev, url) => {
      if (!isAppUrl(url)) ev.preventDefault();
    });
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
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
      isAppWindow: window !== null && event.sender === window.webContents,
      frameUrl: event.senderFrame?.url,
    });
    ipcMain.handle(IPC_REQUEST, async (event, channel: unknown, payload: unknown) => {
      const checked = checkIpcRequest(senderOf(event), channel, payload, grants);
      if (!checked.ok) return checked;
      const { channel: c, payload: p } = checked.value;
      return ROUTES[c] === 'main' ? chooseCaptures() : toEngine(c, p);
    });
    ipcMain.handle(IPC_GRANT_FILES, (event, paths: unknown) =>
      grantDroppedFiles(senderOf(event), paths, grants),
    );
    buildMenu();
    startEngine(false);
    createWindow();
  });

  app.on('before-quit', () => {
    quitting = true;
    engine?.kill();
  });

  app.on('window-all-closed', () => {
    app.quit();
  });
}
