import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebContents } from 'electron';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { desktopGrants } from '../../../src-main/app/ipc-routes.ts';
import {
  guardWebContents,
  MainWindow,
  SHOW_ANYWAY_MS,
  type WindowElectron,
} from '../../../src-main/app/main-window.ts';
import { APP_START_URL, secureWebPreferences } from '../../../src-main/app/security.ts';
import { IPC_EVENT } from '../../../src-main/shared/ipc-contract.ts';

type OpenHandler = (details: { url: string }) => { action: string };

/** The parts of WebContents the window uses, recording what happens to them. */
class FakeContents extends EventEmitter {
  openHandler: OpenHandler | null = null;
  readonly sent: unknown[][] = [];
  pdf: () => Promise<Buffer> = () => Promise.resolve(Buffer.from('%PDF-1.7 fake'));

  setWindowOpenHandler(handler: OpenHandler): void {
    this.openHandler = handler;
  }
  send(...args: unknown[]): void {
    this.sent.push(args);
  }
  readonly printed: unknown[] = [];
  printToPDF(options: unknown): Promise<Buffer> {
    this.printed.push(options);
    return this.pdf();
  }
  /** Emits a cancellable event; true when a handler prevented it. */
  cancellable(event: string, ...args: unknown[]): boolean {
    let prevented = false;
    this.emit(event, { preventDefault: () => (prevented = true) }, ...args);
    return prevented;
  }
}

class FakeWindow extends EventEmitter {
  static made: FakeWindow[] = [];
  readonly webContents = new FakeContents();
  readonly loaded: string[] = [];
  visible = false;
  destroyed = false;
  minimized = false;
  readonly calls: string[] = [];

  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeWindow.made.push(this);
  }
  loadURL(url: string): Promise<void> {
    this.loaded.push(url);
    return Promise.resolve();
  }
  show(): void {
    this.calls.push('show');
    this.visible = true;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  restore(): void {
    this.calls.push('restore');
    this.minimized = false;
  }
  focus(): void {
    this.calls.push('focus');
  }
  destroy(): void {
    this.calls.push('destroy');
    this.destroyed = true;
  }
}

interface Answers {
  open: { canceled: boolean; filePaths: string[] };
  save: { canceled: boolean; filePath?: string };
}

function setup(answers: Partial<Answers> = {}) {
  FakeWindow.made = [];
  const errors: [string, string][] = [];
  const external: string[] = [];
  const dialogCalls: { kind: string; window: unknown; options: Record<string, unknown> }[] = [];
  const electron = {
    BrowserWindow: FakeWindow,
    dialog: {
      showOpenDialog: (window: unknown, options: Record<string, unknown>) => {
        dialogCalls.push({ kind: 'open', window, options });
        return Promise.resolve(answers.open ?? { canceled: true, filePaths: [] });
      },
      showSaveDialog: (window: unknown, options: Record<string, unknown>) => {
        dialogCalls.push({ kind: 'save', window, options });
        return Promise.resolve(answers.save ?? { canceled: true });
      },
      showErrorBox: (title: string, content: string) => errors.push([title, content]),
    },
    shell: {
      openExternal: (url: string) => {
        external.push(url);
        return Promise.resolve();
      },
    },
  } as unknown as WindowElectron;
  const main = new MainWindow({
    electron,
    preload: '/app/dist/preload/preload.cjs',
    today: () => new Date('2025-03-04T12:00:00Z'),
  });
  const opened = (): FakeWindow => {
    main.open();
    return FakeWindow.made.at(-1)!;
  };
  return { main, opened, errors, external, dialogCalls };
}

describe('the main window', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is created hidden with the secure preferences, loads the app’s UI and shows when ready', () => {
    const { main, opened } = setup();
    expect(main.current).toBeNull();
    const w = opened();
    expect(w.options).toMatchObject({
      show: false,
      title: 'Telltale',
      webPreferences: secureWebPreferences('/app/dist/preload/preload.cjs'),
    });
    expect(w.loaded).toEqual([APP_START_URL]);
    expect(main.current).toBe(w);
    expect(w.visible).toBe(false);
    w.emit('ready-to-show');
    expect(w.visible).toBe(true);
  });

  it('does not navigate, redirect or open windows away from the app; https links go to the browser', () => {
    const { opened, external } = setup();
    const c = opened().webContents;
    for (const event of ['will-navigate', 'will-redirect']) {
      expect(c.cancellable(event, 'https://evil.example/')).toBe(true);
      expect(c.cancellable(event, 'file:///etc/passwd')).toBe(true);
      expect(c.cancellable(event, 'app://other/index.html')).toBe(true);
      expect(c.cancellable(event, 'app://telltale/index.html#/devices')).toBe(false);
    }
    for (const url of ['https://telltale.example/docs', 'http://plain.example/', 'file:///etc/passwd']) {
      expect(c.openHandler?.({ url })).toEqual({ action: 'deny' });
    }
    expect(external).toEqual(['https://telltale.example/docs']);
    expect(c.cancellable('will-attach-webview')).toBe(true);
  });

  it('shows itself anyway when the page does not show in time', () => {
    const { opened } = setup();
    const w = opened();
    vi.advanceTimersByTime(SHOW_ANYWAY_MS - 1);
    expect(w.visible).toBe(false);
    vi.advanceTimersByTime(1);
    expect(w.calls).toEqual(['show']);
    // shown already: not shown again
    const shown = opened();
    shown.emit('ready-to-show');
    vi.advanceTimersByTime(SHOW_ANYWAY_MS);
    expect(shown.calls).toEqual(['show']);
  });

  it('shows itself and says why when its page fails to load or its renderer ends', () => {
    const { opened, errors } = setup();
    const w = opened();
    w.webContents.emit('did-fail-load', {}, -6, 'ERR_FILE_NOT_FOUND', 'app://telltale/index.html');
    expect(w.visible).toBe(true);
    expect(errors).toEqual([
      ['Telltale could not show its window', 'app://telltale/index.html: ERR_FILE_NOT_FOUND (-6)'],
    ]);

    const v = opened();
    v.webContents.emit('render-process-gone', {}, { reason: 'clean-exit' });
    expect(v.visible).toBe(true);
    expect(errors).toHaveLength(1);
    v.webContents.emit('render-process-gone', {}, { reason: 'crashed' });
    expect(errors[1]?.[0]).toBe('Telltale’s window stopped');
    expect(errors[1]?.[1]).toContain('(crashed)');
  });

  it('sends events to its page only while it is open, and knows its own web contents', () => {
    const { main, opened } = setup();
    main.send('snapshot', { n: 0 });
    const w = opened();
    main.send('snapshot', { n: 1 });
    expect(w.webContents.sent).toEqual([[IPC_EVENT, 'snapshot', { n: 1 }]]);
    expect(main.isAppContents(w.webContents as unknown as WebContents)).toBe(true);
    expect(main.isAppContents(new FakeContents() as unknown as WebContents)).toBe(false);

    w.destroyed = true;
    main.send('snapshot', { n: 2 });
    w.emit('closed');
    main.send('snapshot', { n: 3 });
    expect(w.webContents.sent).toHaveLength(1);
    expect(main.current).toBeNull();
    expect(main.isAppContents(w.webContents as unknown as WebContents)).toBe(false);
  });

  it('comes to the front for a second launch', () => {
    const { main, opened } = setup();
    main.bringToFront();
    const w = opened();
    w.minimized = true;
    main.bringToFront();
    expect(w.calls).toEqual(['restore', 'show', 'focus']);
    w.calls.length = 0;
    main.bringToFront();
    expect(w.calls).toEqual(['focus']);
  });
});

describe('the window’s dialogs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-window-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('grants the capture files the person picks, and nothing when they cancel', async () => {
    const picked = [join(dir, 'a.pcap'), join(dir, 'b.pcapng')];
    for (const name of ['a.pcap', 'b.pcapng', 'c.pcap']) writeFileSync(join(dir, name), 'capture');
    const grants = desktopGrants();
    const none = setup();
    await expect(none.main.chooseCaptures(grants)).resolves.toMatchObject({
      ok: false,
      error: { code: 'unavailable' },
    });
    none.opened();
    await expect(none.main.chooseCaptures(grants)).resolves.toMatchObject({
      ok: false,
      error: { code: 'cancelled' },
    });
    for (const p of picked) expect(grants.check(p, 'file').ok).toBe(false);

    const some = setup({ open: { canceled: false, filePaths: picked } });
    const w = some.opened();
    await expect(some.main.chooseCaptures(grants)).resolves.toEqual({ ok: true, value: picked });
    expect(some.dialogCalls[0]).toMatchObject({
      kind: 'open',
      window: w,
      options: { properties: ['openFile', 'multiSelections'] },
    });
    for (const p of picked) expect(grants.check(p, 'file').ok).toBe(true);
    expect(grants.check(join(dir, 'c.pcap'), 'file').ok).toBe(false);
  });

  it('saves the page as a PDF where the person chooses, and says so when it cannot', async () => {
    const target = join(dir, 'report.pdf');
    const s = setup({ save: { canceled: false, filePath: target } });
    await s.main.savePageAsPdf();
    expect(s.dialogCalls).toEqual([]);
    const w = s.opened();
    await s.main.savePageAsPdf();
    expect(s.dialogCalls[0]?.options).toMatchObject({ defaultPath: 'telltale-2025-03-04.pdf' });
    expect(readFileSync(target, 'utf8')).toBe('%PDF-1.7 fake');
    expect(w.webContents.printed).toEqual([{ printBackground: true, pageSize: 'A4' }]);
    expect(s.errors).toEqual([]);

    w.webContents.pdf = () => Promise.reject(new Error('printing failed'));
    await s.main.savePageAsPdf();
    expect(s.errors).toEqual([['Could not save the PDF', `${target}: printing failed`]]);

    const cancelled = setup({ save: { canceled: true } });
    const c = cancelled.opened();
    c.webContents.pdf = () => Promise.reject(new Error('must not print'));
    await cancelled.main.savePageAsPdf();
    expect(cancelled.errors).toEqual([]);
  });
});

describe('the report printed by the app', () => {
  const html =
    '<!doctype html><html><head><title>Telltale privacy report — Flat &amp; garden</title></head><body>Your household</body></html>';

  it('prints the page in a hidden window that runs no script, with its header and page numbers, then closes it', async () => {
    const s = setup();
    const pdf = await s.main.printReport(html, 'Letter');
    expect(pdf.toString()).toBe('%PDF-1.7 fake');
    const w = FakeWindow.made.at(-1)!;
    expect(w.options).toMatchObject({ show: false, webPreferences: { javascript: false, sandbox: true } });
    expect(w.visible).toBe(false);
    const url = w.loaded[0];
    expect(url.startsWith('data:text/html;charset=utf-8;base64,')).toBe(true);
    expect(Buffer.from(url.split(',')[1], 'base64').toString()).toBe(html);
    const options = w.webContents.printed[0] as Record<string, unknown>;
    expect(options).toMatchObject({ pageSize: 'Letter', printBackground: true, displayHeaderFooter: true });
    expect(options.headerTemplate).toContain('Telltale privacy report — Flat &amp; garden');
    expect(options.footerTemplate).toContain('class="totalPages"');
    expect(w.destroyed).toBe(true);
  });

  it('Report ▸ Export saves the report where the person chooses, and says why when it cannot be made', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'telltale-report-'));
    const target = join(folder, 'home.pdf');
    const s = setup({ save: { canceled: false, filePath: target } });
    s.opened();
    await s.main.saveReport('pdf', () =>
      Promise.resolve({
        ok: true,
        value: { fileName: 'telltale-report-x.pdf', bytes: Buffer.from('%PDF-1.7 r') },
      }),
    );
    expect(s.dialogCalls.at(-1)?.options).toMatchObject({ defaultPath: 'telltale-report-x.pdf' });
    expect(readFileSync(target, 'utf8')).toBe('%PDF-1.7 r');
    await s.main.saveReport('html', () =>
      Promise.resolve({
        ok: false,
        error: { code: 'unavailable', message: 'the report is made from the finished audit' },
      }),
    );
    expect(s.errors).toEqual([['Could not make the report', 'the report is made from the finished audit']]);
    rmSync(folder, { recursive: true, force: true });
  });

  it('closes the window when printing fails', async () => {
    const s = setup();
    const printing = s.main.printReport(html, 'A4');
    const w = FakeWindow.made.at(-1)!;
    w.webContents.pdf = () => Promise.reject(new Error('no printer'));
    await expect(printing).rejects.toThrow('no printer');
    expect(w.destroyed).toBe(true);
  });
});

describe('every other web contents', () => {
  it('may not navigate away from the app nor open windows', () => {
    const c = new FakeContents();
    guardWebContents(c as unknown as WebContents);
    expect(c.cancellable('will-navigate', 'https://evil.example/')).toBe(true);
    expect(c.cancellable('will-navigate', 'app://telltale/index.html')).toBe(false);
    expect(c.openHandler?.({ url: 'https://telltale.example/' })).toEqual({ action: 'deny' });
  });
});
