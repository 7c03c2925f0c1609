/**
 * The shape every request payload must have, checked where a client's message enters (the
 * browser-mode server, Electron's main process, the engine's route table) before any work: one
 * rule per channel of the contract, so a client that sends anything else gets a `bad-request`
 * error as data and never reaches code that assumes the types. Plain code, no runtime deps: both
 * sides import it.
 *
 * What is checked here is the shape (types, lengths, known keys); what the values mean (is the
 * file one the person chose, is the MAC in the session) is the receiver's to check.
 */
import { fail, ok, type RequestChannel, type RequestOf, type Result, type Settings } from './ipc-contract.ts';
import { MAX_INSPECTED_DEVICES } from './inspect-mode.ts';
import { routerSshProblem } from './router-capture.ts';

/** Most capture files one request may open. */
export const MAX_PATHS = 1000;
/** Longest path accepted (Linux PATH_MAX). */
export const MAX_PATH_LENGTH = 4096;
/** Longest name or device type accepted (the store keeps at most 80 characters of it). */
export const MAX_TEXT_LENGTH = 1000;
/** Longest capture filter (tcpdump syntax). */
export const MAX_FILTER_LENGTH = 1000;
/** Highest part number of a per-packet export (4 MB parts: far beyond any capture's). */
export const MAX_EXPORT_PART = 1_000_000;

/** At most `max` characters of a value a client sent, for an error message. */
export function quoteValue(value: unknown, max = 40): string {
  let text: string;
  if (typeof value === 'string')
    text = JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
  else if (value === null || typeof value !== 'object') text = String(value);
  else text = Array.isArray(value) ? 'a list' : 'an object';
  return text.length > max + 4 ? `${text.slice(0, max)}…` : text;
}

class PayloadError extends Error {}

function object(channel: string, payload: unknown, keys: readonly string[]): Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new PayloadError(`${channel}: the payload must be an object`);
  const record = payload as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!keys.includes(key))
      throw new PayloadError(`${channel}: unknown field ${quoteValue(key)} (expected ${keys.join(', ')})`);
  }
  return record;
}

function text(channel: string, field: string, value: unknown, max: number, allowEmpty = false): string {
  if (typeof value !== 'string') throw new PayloadError(`${channel}: ${field} must be text`);
  if (!allowEmpty && value === '') throw new PayloadError(`${channel}: ${field} is empty`);
  if (value.length > max) throw new PayloadError(`${channel}: ${field} is longer than ${max} characters`);
  if (value.includes('\0')) throw new PayloadError(`${channel}: ${field} holds a NUL character`);
  return value;
}

function textOrNull(channel: string, field: string, value: unknown, max: number): string | null {
  return value === null ? null : text(channel, field, value, max, true);
}

/** True for a replay speed: "max" or a positive number of times real time up to 10 000. */
export function isReplaySpeed(v: unknown): v is 'max' | number {
  return v === 'max' || (typeof v === 'number' && v > 0 && v <= 10_000 && Number.isFinite(v));
}

function speed(channel: string, value: unknown): 'max' | number {
  if (!isReplaySpeed(value))
    throw new PayloadError(`${channel}: speed must be "max" or a number of times real time (up to 10000)`);
  return value;
}

function noPayload(channel: string, payload: unknown): null {
  if (payload === null || payload === undefined) return null;
  if (typeof payload === 'object' && !Array.isArray(payload) && Object.keys(payload).length === 0)
    return null;
  throw new PayloadError(`${channel}: takes no payload`);
}

type Checkers = { [K in RequestChannel]: (payload: unknown) => RequestOf<K> };

const SETTINGS_KEYS: readonly (keyof Settings)[] = [
  'theme',
  'defaultSpeed',
  'defaultInterface',
  'captureFilter',
  'timeZone',
];

const CHECKERS: Checkers = {
  'app.info': (p) => noPayload('app.info', p),
  'capture.interfaces': (p) => noPayload('capture.interfaces', p),
  'capture.openFiles': (p) => {
    const c = 'capture.openFiles';
    const o = object(c, p, ['paths', 'speed', 'labels']);
    if (!Array.isArray(o.paths) || o.paths.length === 0)
      throw new PayloadError(`${c}: needs a list of file paths`);
    if (o.paths.length > MAX_PATHS) throw new PayloadError(`${c}: more than ${MAX_PATHS} files at once`);
    const paths = (o.paths as unknown[]).map((v, i) => text(c, `paths[${i}]`, v, MAX_PATH_LENGTH));
    const out: RequestOf<'capture.openFiles'> = { paths };
    if (o.speed !== undefined) out.speed = speed(c, o.speed);
    if (o.labels !== undefined) {
      const labels = textOrNull(c, 'labels', o.labels, MAX_PATH_LENGTH);
      out.labels = labels === '' ? null : labels;
    }
    return out;
  },
  'capture.openSample': (p) => noPayload('capture.openSample', p),
  'capture.startLive': (p) => {
    const c = 'capture.startLive';
    const o = object(c, p, ['interface', 'filter']);
    const out: RequestOf<'capture.startLive'> = { interface: text(c, 'interface', o.interface, 256) };
    if (o.filter !== undefined) out.filter = text(c, 'filter', o.filter, MAX_FILTER_LENGTH, true);
    return out;
  },
  'capture.startRouter': (p) => {
    const c = 'capture.startRouter';
    const o = object(c, p, ['host', 'user', 'interface', 'port']);
    const port = o.port ?? null;
    if (port !== null && typeof port !== 'number')
      throw new PayloadError(`${c}: port must be a number or null`);
    const user = textOrNull(c, 'user', o.user ?? null, 64);
    const out: RequestOf<'capture.startRouter'> = {
      host: text(c, 'host', o.host, 253),
      user: user === '' ? null : user,
      interface: text(c, 'interface', o.interface, 32),
      port,
    };
    const problem = routerSshProblem(out);
    if (problem !== null) throw new PayloadError(`${c}: ${problem}`);
    return out;
  },
  'inspect.discover': (p) => {
    const c = 'inspect.discover';
    const o = object(c, p, ['interface']);
    return { interface: text(c, 'interface', o.interface, 32) };
  },
  'capture.startInspect': (p) => {
    const c = 'capture.startInspect';
    const o = object(c, p, ['interface', 'devices', 'consent']);
    if (o.consent !== true)
      throw new PayloadError(`${c}: inspect mode needs the person's consent (consent: true)`);
    if (!Array.isArray(o.devices) || o.devices.length === 0)
      throw new PayloadError(`${c}: needs the MAC addresses of the devices to inspect`);
    if (o.devices.length > MAX_INSPECTED_DEVICES)
      throw new PayloadError(`${c}: at most ${MAX_INSPECTED_DEVICES} devices at once`);
    const devices = (o.devices as unknown[]).map((v, i) => {
      const mac = text(c, `devices[${i}]`, v, 17).toLowerCase();
      if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac))
        throw new PayloadError(`${c}: devices[${i}] is not a MAC address`);
      return mac;
    });
    return { interface: text(c, 'interface', o.interface, 32), devices, consent: true };
  },
  'capture.pause': (p) => noPayload('capture.pause', p),
  'capture.resume': (p) => noPayload('capture.resume', p),
  'capture.stop': (p) => noPayload('capture.stop', p),
  'capture.setSpeed': (p) => ({
    speed: speed('capture.setSpeed', object('capture.setSpeed', p, ['speed']).speed),
  }),
  'session.snapshot': (p) => noPayload('session.snapshot', p),
  'session.export': (p) => noPayload('session.export', p),
  'session.exportCsv': (p) => noPayload('session.exportCsv', p),
  'session.exportPackets': (p) => {
    const c = 'session.exportPackets';
    const o = object(c, p, ['view', 'part']);
    if (o.view !== 'napt' && o.view !== 'vpn')
      throw new PayloadError(`${c}: view must be "napt" or "vpn", not ${quoteValue(o.view)}`);
    if (typeof o.part !== 'number' || !Number.isInteger(o.part) || o.part < 0 || o.part > MAX_EXPORT_PART)
      throw new PayloadError(
        `${c}: part must be a whole number from 0 to ${MAX_EXPORT_PART}, not ${quoteValue(o.part)}`,
      );
    return { view: o.view, part: o.part };
  },
  'report.render': (p) => {
    const c = 'report.render';
    const o = object(c, p, ['format', 'device', 'paper']);
    if (o.format !== 'html' && o.format !== 'pdf')
      throw new PayloadError(`${c}: format must be "html" or "pdf", not ${quoteValue(o.format)}`);
    const out: RequestOf<'report.render'> = { format: o.format };
    if (o.device !== undefined) out.device = textOrNull(c, 'device', o.device, 64);
    if (o.paper !== undefined) {
      if (o.paper !== 'A4' && o.paper !== 'Letter')
        throw new PayloadError(`${c}: paper must be "A4" or "Letter", not ${quoteValue(o.paper)}`);
      out.paper = o.paper;
    }
    return out;
  },
  'device.detail': (p) => ({
    mac: text('device.detail', 'mac', object('device.detail', p, ['mac']).mac, 64),
  }),
  'device.rename': (p) => {
    const o = object('device.rename', p, ['mac', 'name']);
    return {
      mac: text('device.rename', 'mac', o.mac, 64),
      name: textOrNull('device.rename', 'name', o.name, MAX_TEXT_LENGTH),
    };
  },
  'device.setCategory': (p) => {
    const o = object('device.setCategory', p, ['mac', 'category']);
    return {
      mac: text('device.setCategory', 'mac', o.mac, 64),
      category: textOrNull('device.setCategory', 'category', o.category, MAX_TEXT_LENGTH),
    };
  },
  'settings.get': (p) => noPayload('settings.get', p),
  // each value is checked by the settings store, which knows what each setting may be
  'settings.update': (p) => object('settings.update', p, SETTINGS_KEYS),
  'dialog.openCaptures': (p) => noPayload('dialog.openCaptures', p),
};

/** The payload of a request on `channel` if it has the shape the contract gives it, else why not. */
export function checkPayload<K extends RequestChannel>(channel: K, payload: unknown): Result<RequestOf<K>> {
  try {
    return ok((CHECKERS[channel] as (p: unknown) => RequestOf<K>)(payload));
  } catch (error) {
    if (error instanceof PayloadError) return fail('bad-request', error.message);
    throw error;
  }
}
