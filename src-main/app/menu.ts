/**
 * The application menu as plain data (no runtime `electron` import, so it is tested under Node):
 * Electron's standard roles plus the app's own commands, whose clicks call the actions main.ts
 * passes in. main.ts hands the template to `Menu.buildFromTemplate`.
 */
import type { MenuItemConstructorOptions } from 'electron';

/** What the app's own menu items do. */
export interface MenuActions {
  /** File ▸ Open Capture…: pick capture files in a dialog and open them. */
  openCaptures(): void;
  /** File ▸ Save Page as PDF…: save the page on screen as a PDF where the person chooses. */
  savePageAsPdf(): void;
  /** Report ▸ Export PDF… / Export Web Page…: the privacy report of the whole home. */
  exportReport(format: 'pdf' | 'html'): void;
}

/** The application menu's template on `platform` (macOS gets the app menu, and Close for Quit). */
export function applicationMenu(
  platform: NodeJS.Platform,
  actions: MenuActions,
): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  return [
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        {
          label: 'Open Capture…',
          accelerator: 'CmdOrCtrl+O',
          click: () => {
            actions.openCaptures();
          },
        },
        {
          label: 'Save Page as PDF…',
          accelerator: 'CmdOrCtrl+P',
          click: () => {
            actions.savePageAsPdf();
          },
        },
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    {
      label: 'Report',
      submenu: [
        {
          label: 'Export PDF…',
          accelerator: 'CmdOrCtrl+E',
          click: () => {
            actions.exportReport('pdf');
          },
        },
        {
          label: 'Export Web Page…',
          click: () => {
            actions.exportReport('html');
          },
        },
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
  ];
}
