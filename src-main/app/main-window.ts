/**
 * The app's one window and the native dialogs over it (no runtime `electron` import: main.ts
 * passes `BrowserWindow`, `dialog` and `shell` in, so this is tested under Node with fakes).
 *
 * The window is created hidden with the secure web preferences (security.ts) and shown when its
 * page is ready — or anyway, when the page fails or does not show within SHOW_ANYWAY_MS, so the
 * person sees what happened instead of an app with no window. It may not navigate or redirect
 * away from the app's own UI, open windows (https links open in the person's browser instead) or
 * attach webviews; `guardWebContents` gives every other web contents the same navigation rules.
 */
import { writeFile } from 'node:fs/promises';
import type { BrowserWindow, BrowserWindowConstructorOptions, Dialog, Shell, WebContents } from 'electron';
import type { FileGrants } from '../engine/file-grants.ts';
import { printTemplates, reportTitle, type Paper } from '../report/report-html.ts';
import { fail, IPC_EVENT, type Result } from '../shared/ipc-contract.ts';
import { APP_START_URL, isAppUrl, secureWebPreferences } from './security.ts';

/** A window whose page has not shown within this many milliseconds is shown anyway. */
export const SHOW_ANYWAY_MS = 5000;

/** What the window uses of Electron. */
export interface WindowElectron {
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindow;
  dialog: Pick<Dialog, 'showOpenDialog' | 'showSaveDialog' | 'showErrorBox'>;
  shell: Pick<Shell, 'openExternal'>;
}

export interface MainWindowOptions {
  electron: WindowElectron;
  /** The preload bundle's path (store/folders.ts appPaths). */
  preload: string;
  /** Today, for the PDF's suggested file name (new Date()). */
  today?: () => Date;
}

/** The app's one window: created on `open()`, gone again when the person closes it. */
export class MainWindow {
  private readonly electron: WindowElectron;
  private readonly preload: string;
  private readonly today: () => Date;
  private window: BrowserWindow | null = null;

  constructor(options: MainWindowOptions) {
    this.electron = options.electron;
    this.preload = options.preload;
    this.today = options.today ?? (() => new Date());
  }

  /** The window, or null before it is created and after it is closed. */
  get current(): BrowserWindow | null {
    return this.window;
  }

  /** Creates the window and loads the app's UI into it. */
  open(): void {
    const { dialog, shell } = this.electron;
    const window = new this.electron.BrowserWindow({
      width: 1280,
      height: 800,
      minWidth: 1024,
      minHeight: 640,
      title: 'Telltale',
      show: false,
      webPreferences: secureWebPreferences(this.preload),
    });
    this.window = window;
    window.once('ready-to-show', () => {
      this.window?.show();
    });
    const contents = window.webContents;
    // a renderer that fails before its first layout never fires ready-to-show: show the window
    // anyway, so the person sees what happened instead of an app with no window
    const showAnyway = (): void => {
      const w = this.window;
      if (w !== null && !w.isDestroyed() && !w.isVisible()) w.show();
    };
    setTimeout(showAnyway, SHOW_ANYWAY_MS).unref();
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
      this.window = null;
    });
  }

  /** Sends an event to the window's page (dropped when there is no window). */
  send(event: string, payload: unknown): void {
    const w = this.window;
    if (w !== null && !w.isDestroyed()) w.webContents.send(IPC_EVENT, event, payload);
  }

  /** Whether `contents` are the window's own (the sender of an IPC message). */
  isAppContents(contents: WebContents): boolean {
    return this.window !== null && contents === this.window.webContents;
  }

  /** Another launch of the app: this window comes to the front instead. */
  bringToFront(): void {
    const w = this.window;
    if (w === null) return;
    if (w.isMinimized()) w.restore();
    if (!w.isVisible()) w.show();
    w.focus();
  }

  /** Lets the person pick capture files; each one picked is granted (the engine may read it). */
  async chooseCaptures(grants: FileGrants): Promise<Result<string[]>> {
    if (this.window === null) return fail('unavailable', 'no window');
    const r = await this.electron.dialog.showOpenDialog(this.window, {
      title: 'Open capture files',
      properties: ['openFile', 'multiSelections'],
      filters: [
        {
          name: 'Captures (pcap, pcapng, gzip) and a labels file (csv)',
          extensions: ['pcap', 'pcapng', 'cap', 'gz', 'csv'],
        },
        { name: 'All files', extensions: ['*'] },
      ],
    });
    if (r.canceled) return fail('cancelled', 'no file chosen');
    for (const path of r.filePaths) grants.allowFile(path);
    return { ok: true, value: r.filePaths };
  }

  /** Saves the page on screen as a PDF where the person chooses (File ▸ Save Page as PDF…). */
  /**
   * A report page (report/report-html.ts) printed to PDF by the app's own Chromium: in a hidden
   * window that runs no script, loaded from the page itself (a data: URL; the page loads nothing
   * else), with the report's running header and page numbers; the window is closed afterwards.
   */
  async printReport(html: string, paper: Paper): Promise<Buffer> {
    const win = new this.electron.BrowserWindow({
      show: false,
      webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false },
    });
    try {
      await win.loadURL(`data:text/html;charset=utf-8;base64,${Buffer.from(html).toString('base64')}`);
      return await win.webContents.printToPDF({
        pageSize: paper,
        printBackground: true,
        preferCSSPageSize: true,
        displayHeaderFooter: true,
        ...printTemplates(reportTitle(html)),
      });
    } finally {
      win.destroy();
    }
  }

  /**
   * Report ▸ Export…: asks where to save, then writes what `make` gives (the report's bytes and
   * suggested name come first, so the dialog can suggest it); a failure is shown, not thrown.
   */
  async saveReport(
    format: 'pdf' | 'html',
    make: () => Promise<Result<{ fileName: string; bytes: Buffer }>>,
  ): Promise<void> {
    const win = this.window;
    if (win === null) return;
    const { dialog } = this.electron;
    const report = await make();
    if (!report.ok) {
      dialog.showErrorBox('Could not make the report', report.error.message);
      return;
    }
    const r = await dialog.showSaveDialog(win, {
      title:
        format === 'pdf' ? 'Export the privacy report as PDF' : 'Export the privacy report as a web page',
      defaultPath: report.value.fileName,
      filters: [
        format === 'pdf' ? { name: 'PDF', extensions: ['pdf'] } : { name: 'Web page', extensions: ['html'] },
      ],
    });
    if (r.canceled || r.filePath === undefined || r.filePath === '') return;
    try {
      await writeFile(r.filePath, report.value.bytes);
    } catch (error) {
      dialog.showErrorBox('Could not save the report', `${r.filePath}: ${(error as Error).message}`);
    }
  }

  async savePageAsPdf(): Promise<void> {
    const win = this.window;
    if (win === null) return;
    const { dialog } = this.electron;
    const r = await dialog.showSaveDialog(win, {
      title: 'Save this page as PDF',
      defaultPath: `telltale-${this.today().toISOString().slice(0, 10)}.pdf`,
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
}

/** The navigation rules of every web contents the app creates (app.on('web-contents-created')). */
export function guardWebContents(contents: WebContents): void {
  contents.on('will-navigate', (ev, url) => {
    if (!isAppUrl(url)) ev.preventDefault();
  });
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
