/**
 * Live capture through Wireshark's `dumpcap`, where the person has it: on Linux it is installed
 * with the capture rights for the members of the `wireshark` group, so Telltale — the desktop
 * app's Electron above all, which must never be given capabilities itself — can capture without
 * root and without touching its own binary. Its pcapng stream (libpcap's timestamps) is read by the
 * same reader as any capture stream (stream-capture.ts).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { CaptureCommand } from './stream-capture.ts';

/** Where dumpcap is usually installed, beside the folders of PATH. */
const KNOWN_PLACES = [
  '/usr/bin/dumpcap',
  '/usr/sbin/dumpcap',
  '/usr/local/bin/dumpcap',
  '/Applications/Wireshark.app/Contents/MacOS/dumpcap',
];

/** The path of a dumpcap this process may run, or null. */
export function findDumpcap(path: string = process.env.PATH ?? ''): string | null {
  const candidates = [
    ...path
      .split(delimiter)
      .filter((d) => d !== '')
      .map((d) => join(d, 'dumpcap')),
    ...KNOWN_PLACES,
  ];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not there, or not ours to run
    }
  }
  return null;
}

/** `dumpcap -q -i IFACE [-f FILTER] -w -`: the interface's packets as pcapng on standard output. */
export function dumpcapCommand(dumpcap: string, iface: string, filter: string): CaptureCommand {
  return {
    file: dumpcap,
    args: ['-q', '-i', iface, ...(filter.trim() === '' ? [] : ['-f', filter]), '-w', '-'],
    label: `dumpcap (${iface})`,
  };
}

/** How to let dumpcap capture without root, once (Debian / Ubuntu). */
export const DUMPCAP_ADVICE =
  'install Wireshark\'s dumpcap and let your user capture with it: sudo apt install wireshark-common, answer Yes to "Should non-superusers be able to capture packets?" (sudo dpkg-reconfigure wireshark-common), then sudo usermod -aG wireshark $USER and log in again';
