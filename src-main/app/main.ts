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
import {
  fail,
  IPC_GRANT_FILES,
  IPC_REQUEST,
  ok,
  type RequestOf,
  type ResponseOf,
  type Result,
} from '../shared/ipc-contract.ts';
import { appPaths } from '../store/folders.ts';
import { EngineHost, forkUtilityProcess } from './engine-host.ts';
import {
  checkIpcRequest,
  desktopGrants,
  grantDroppedFiles,
  printsInMain,
  ROUTES,
  type IpcSender,
} from './ipc-routes.ts';
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
    /** A PDF report: the engine's page, printed here by the app's Chromium (ipc-routes.ts printsInMain). */
    const reportPdf = async (p: RequestOf<'report.render'>): Promise<Result<unknown>> => {
      const page = await engine.request('report.render', { ...p, format: 'html' });
      if (!page.ok) return page;
      const { data, fileName } = page.value as ResponseOf<'report.render'>;
      try {
        const pdf = await mainWindow.printReport(data, p.paper ?? 'A4');
        return ok({
          fileName: fileName.replace(/\.html$/, '.pdf'),
          mime: 'application/pdf',
          data: pdf.toString('base64'),
          encoding: 'base64' as const,
        });
      } catch (error) {
        return fail('internal', `printing the report failed: ${(error as Error).message}`);
      }
    };
    const senderOf = (event: Electron.IpcMainInvokeEvent): IpcSender => ({
      isAppWindow: mainWindow.isAppContents(event.sender),
      frameUrl: event.senderFrame?.url,
    });
    ipcMain.handle(IPC_REQUEST, async (event, channel: unknown, payload: unknown) => {
      const checked = checkIpcRequest(senderOf(event), channel, payload, grants);
      if (!checked.ok) return checked;
      const { channel: c, payload: p } = checked.value;
      if (ROUTES[c] === 'main') return mainWindow.chooseCaptures(grants);
      return printsInMain(c, p) ? reportPdf(p) : engine.request(c, p);
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
          exportReport: (format) => {
            void mainWindow.saveReport(format, async () => {
              const r =
                format === 'pdf'
                  ? await reportPdf({ format })
                  : await engine.request('report.render', { format });
              if (!r.ok) return r;
              const v = r.value as ResponseOf<'report.render'>;
              return ok({ fileName: v.fileName, bytes: Buffer.from(v.data, v.encoding) });
            });
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
