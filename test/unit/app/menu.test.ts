import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { applicationMenu, type MenuActions } from '../../../src-main/app/menu.ts';

const VIEW = ['reload', 'toggleDevTools', '-', 'resetZoom', 'zoomIn', 'zoomOut', '-', 'togglefullscreen'];

function recorder(): { actions: MenuActions; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    actions: {
      openCaptures: () => calls.push('openCaptures'),
      savePageAsPdf: () => calls.push('savePageAsPdf'),
      exportReport: (format) => calls.push(`exportReport ${format}`),
    },
  };
}

/** Each item as its label or role (separators as '-'). */
function outline(items: MenuItemConstructorOptions[]): unknown[] {
  return items.map((i) => {
    const name = i.type === 'separator' ? '-' : (i.label ?? i.role);
    return Array.isArray(i.submenu) ? { [String(name)]: outline(i.submenu) } : name;
  });
}

function submenu(items: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions[] {
  const menu = items.find((i) => i.label === label)?.submenu;
  if (!Array.isArray(menu)) throw new Error(`no ${label} menu`);
  return menu;
}

function click(item: MenuItemConstructorOptions | undefined): void {
  if (item?.click === undefined) throw new Error('the item has no click');
  (item.click as () => void)();
}

describe('the application menu', () => {
  it('has File, Report, Edit, View and Window menus; Linux and Windows quit from File', () => {
    const { actions } = recorder();
    expect(outline(applicationMenu('linux', actions))).toEqual([
      { File: ['Open Capture…', 'Save Page as PDF…', '-', 'quit'] },
      { Report: ['Export PDF…', 'Export Web Page…'] },
      'editMenu',
      { View: VIEW },
      'windowMenu',
    ]);
    expect(outline(applicationMenu('win32', actions))).toEqual(outline(applicationMenu('linux', actions)));
  });

  it('on macOS starts with the app menu and closes the window from File (Quit is in the app menu)', () => {
    const menu = applicationMenu('darwin', recorder().actions);
    expect(menu[0]).toEqual({ role: 'appMenu' });
    expect(outline(menu)).toEqual([
      'appMenu',
      { File: ['Open Capture…', 'Save Page as PDF…', '-', 'close'] },
      { Report: ['Export PDF…', 'Export Web Page…'] },
      'editMenu',
      { View: VIEW },
      'windowMenu',
    ]);
  });

  it('calls the app’s own actions from File, with their shortcuts', () => {
    const { actions, calls } = recorder();
    const file = submenu(applicationMenu('linux', actions), 'File');
    const open = file.find((i) => i.label === 'Open Capture…');
    const pdf = file.find((i) => i.label === 'Save Page as PDF…');
    expect(open?.accelerator).toBe('CmdOrCtrl+O');
    expect(pdf?.accelerator).toBe('CmdOrCtrl+P');
    expect(calls).toEqual([]);
    click(open);
    expect(calls).toEqual(['openCaptures']);
    click(pdf);
    click(pdf);
    expect(calls).toEqual(['openCaptures', 'savePageAsPdf', 'savePageAsPdf']);
  });

  it('exports the privacy report from Report, as PDF or as a web page', () => {
    const { actions, calls } = recorder();
    const report = submenu(applicationMenu('linux', actions), 'Report');
    const pdf = report.find((i) => i.label === 'Export PDF…');
    expect(pdf?.accelerator).toBe('CmdOrCtrl+E');
    click(pdf);
    click(report.find((i) => i.label === 'Export Web Page…'));
    expect(calls).toEqual(['exportReport pdf', 'exportReport html']);
  });
});
