/**
 * Ground-truth device labels for a capture: a `labels.csv` mapping MAC addresses to devices,
 * as shipped with every data set (header `mac,device,category`, or `mac,device` for IoT Sentinel).
 *
 * A packet's label is the device of its source MAC, else of its destination MAC. Infrastructure
 * rows (category `NON-IOT:gateway…`, `gateway`, `capture point`) are never a packet's label, so a
 * packet from the gateway to a camera is the camera's. When two rows share one MAC (IoT Sentinel:
 * D-LinkDoorSensor and D-LinkHomeHub, HueSwitch and HueBridge — a radio-side child seen through
 * its hub) the first row owns the MAC and the later device is recorded as its alias.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { DecodedPacket } from '../decode/decoded-packet.ts';
import { isGroupMac, normalizeMac } from './address-scope.ts';

/** A labels file that cannot be used; the message names the file and the line. */
export class GroundTruthError extends Error {
  readonly source: string;
  /** 1-based line number, or 0 for problems with the file as a whole. */
  readonly line: number;
  constructor(source: string, line: number, problem: string) {
    super(line > 0 ? `${source}:${line}: ${problem}` : `${source}: ${problem}`);
    this.name = 'GroundTruthError';
    this.source = source;
    this.line = line;
  }
}

/** One MAC of the labels file. */
export interface GroundTruthEntry {
  mac: string;
  device: string;
  /** Category column, '' when the file has none. */
  category: string;
  /** Gateway or capture point: never a packet's label. */
  infrastructure: boolean;
  /** Index into `GroundTruth.labels`, or LABEL_NONE for infrastructure. */
  labelIndex: number;
  /** Devices of later rows with the same MAC (seen through this one). */
  aliases: string[];
  /** 1-based line of the row in the file. */
  line: number;
}

/** A parsed row before labels are assigned. */
export interface GroundTruthRow {
  mac: string;
  device: string;
  category: string;
  line: number;
}

/** True for a category that marks the gateway or capture point. */
export function isInfrastructureCategory(category: string): boolean {
  const c = category.trim().toLowerCase();
  return c.startsWith('non-iot:gateway') || c === 'gateway' || c === 'capture point' || c === 'capture-point';
}

const MAC_HEADERS = new Set(['mac', 'mac address', 'mac_address', 'macaddress']);
const DEVICE_HEADERS = new Set(['device', 'device name', 'device_name', 'name']);
const CATEGORY_HEADERS = new Set(['category', 'type', 'device type', 'device_type']);

/** One CSV record and the line it starts on. */
interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * Splits CSV text into records (RFC 4180: quoted fields with "" escapes and embedded commas or
 * line breaks; CRLF or LF line ends). Unquoted fields are trimmed; blank lines are skipped.
 */
function parseCsv(text: string, source: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let wasQuoted = false; // the current field was quoted (keep its white space)
  let line = 1;
  let recordLine = 1;
  const endField = (): void => {
    fields.push(wasQuoted ? field : field.trim());
    field = '';
    wasQuoted = false;
  };
  const endRecord = (): void => {
    endField();
    if (!(fields.length === 1 && fields[0] === '')) records.push({ fields, line: recordLine });
    fields = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"') {
      if (field.trim() !== '')
        throw new GroundTruthError(source, line, 'a quote in the middle of an unquoted field');
      field = '';
      quoted = true;
      wasQuoted = true;
    } else if (c === ',') {
      endField();
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      if (!wasQuoted) field += c;
      else if (c.trim() !== '')
        throw new GroundTruthError(source, line, 'text after the closing quote of a field');
    }
  }
  if (quoted)
    throw new GroundTruthError(source, recordLine, 'a quoted field is not closed before the end of the file');
  if (field !== '' || wasQuoted || fields.length > 0) endRecord();
  return records;
}

/** Label value for a packet that belongs to no labelled device (or no labels were given). */
export const LABEL_NONE = -1;
/** Label value for packets an observer view made itself (VPN keepalives, handshakes). */
export const LABEL_TUNNEL = -2;

/** Largest labels file read (a home's labels are a few kB; this keeps a wrong file from filling memory). */
export const MAX_LABELS_BYTES = 4 * 1024 * 1024;

/** The text of a labels file read into `buffer`; throws when it is larger than the limit. */
function labelsText(buffer: Buffer, bytesRead: number): string {
  if (bytesRead > MAX_LABELS_BYTES) throw new Error(`larger than ${MAX_LABELS_BYTES / 1024 / 1024} MiB`);
  return buffer.toString('utf8', 0, bytesRead);
}

/**
 * Parses the text of a labels file into rows, checking the header and every MAC.
 * `source` names the file in errors.
 */
export function parseLabelsCsv(text: string, source: string): GroundTruthRow[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records = parseCsv(body, source);
  if (records.length === 0)
    throw new GroundTruthError(source, 0, 'the file is empty (expected a header "mac,device,category")');
  const header = records[0].fields.map((h) => h.trim().toLowerCase());
  const macColumn = header.findIndex((h) => MAC_HEADERS.has(h));
  const deviceColumn = header.findIndex((h) => DEVICE_HEADERS.has(h));
  const categoryColumn = header.findIndex((h) => CATEGORY_HEADERS.has(h));
  if (macColumn < 0 || deviceColumn < 0) {
    throw new GroundTruthError(
      source,
      records[0].line,
      // the line is not quoted: a file that is not a labels file must not show its content
      `the header must name a "mac" and a "device" column (its first line has ${records[0].fields.length} ` +
        'fields and names neither; is this a labels file?)',
    );
  }
  const rows: GroundTruthRow[] = [];
  for (let r = 1; r < records.length; r++) {
    const { fields, line } = records[r];
    if (fields.length > header.length) {
      throw new GroundTruthError(
        source,
        line,
        `${fields.length} fields, but the header has ${header.length}`,
      );
    }
    const macText = fields[macColumn] ?? '';
    const device = (fields[deviceColumn] ?? '').trim();
    const category = categoryColumn >= 0 ? (fields[categoryColumn] ?? '').trim() : '';
    const mac = normalizeMac(macText);
    if (mac === null)
      throw new GroundTruthError(
        source,
        line,
        `"${macText.length > 40 ? `${macText.slice(0, 40)}…` : macText}" is not a MAC address`,
      );
    if (isGroupMac(mac))
      throw new GroundTruthError(source, line, `${mac} is a multicast / broadcast MAC, not a device`);
    if (device === '') throw new GroundTruthError(source, line, `no device name for ${mac}`);
    rows.push({ mac, device, category, line });
  }
  return rows;
}

/** Device labels for packets, from a labels file. */
export class GroundTruth {
  /** Where the labels came from (file path or a name given by the caller). */
  readonly source: string;
  /** Packet labels: device names in file order, each once; infrastructure and alias-only devices excluded. */
  readonly labels: readonly string[];
  /** Category of each label (parallel to `labels`; '' when the file has none). */
  readonly categories: readonly string[];
  /** Every MAC of the file, in file order. */
  readonly entries: readonly GroundTruthEntry[];
  /** Label index by MAC; infrastructure MACs are absent. */
  private readonly labelByMac: Map<string, number>;
  private readonly entryByMac: Map<string, GroundTruthEntry>;
  /** The last two (source, destination) MAC pairs labelOf answered (undefined: none yet). */
  private pairSrcA: string | null | undefined = undefined;
  private pairDstA: string | null | undefined = undefined;
  private pairLabelA = LABEL_NONE;
  private pairSrcB: string | null | undefined = undefined;
  private pairDstB: string | null | undefined = undefined;
  private pairLabelB = LABEL_NONE;

  constructor(rows: readonly GroundTruthRow[], source = 'labels') {
    this.source = source;
    const labels: string[] = [];
    const categories: string[] = [];
    const labelIndexByDevice = new Map<string, number>();
    const entries: GroundTruthEntry[] = [];
    this.labelByMac = new Map();
    this.entryByMac = new Map();
    for (const row of rows) {
      const existing = this.entryByMac.get(row.mac);
      if (existing !== undefined) {
        if (row.device !== existing.device && !existing.aliases.includes(row.device))
          existing.aliases.push(row.device);
        continue;
      }
      const infrastructure = isInfrastructureCategory(row.category);
      let labelIndex: number = LABEL_NONE;
      if (!infrastructure) {
        const known = labelIndexByDevice.get(row.device);
        if (known === undefined) {
          labelIndex = labels.length;
          labels.push(row.device);
          categories.push(row.category);
          labelIndexByDevice.set(row.device, labelIndex);
        } else {
          labelIndex = known;
        }
        this.labelByMac.set(row.mac, labelIndex);
      }
      const entry: GroundTruthEntry = { ...row, infrastructure, labelIndex, aliases: [] };
      entries.push(entry);
      this.entryByMac.set(row.mac, entry);
    }
    this.labels = labels;
    this.categories = categories;
    this.entries = entries;
  }

  /** Parses labels CSV text; `source` names it in errors. */
  static fromCsv(text: string, source: string): GroundTruth {
    return new GroundTruth(parseLabelsCsv(text, source), source);
  }

  /** Reads and parses a labels file (a regular file of at most MAX_LABELS_BYTES). */
  static async load(path: string): Promise<GroundTruth> {
    let text: string;
    try {
      // never blocks: a FIFO or a device is refused before anything is read from it
      if (!(await stat(path)).isFile()) throw new Error('not a regular file');
      const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        if (!(await file.stat()).isFile()) throw new Error('not a regular file');
        const buffer = Buffer.alloc(MAX_LABELS_BYTES + 1);
        const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
        text = labelsText(buffer, bytesRead);
      } finally {
        await file.close();
      }
    } catch (err) {
      throw new GroundTruthError(
        path,
        0,
        `cannot be read (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    return GroundTruth.fromCsv(text, path);
  }

  /** Synchronous `load`, for command-line tools and tests. */
  static loadSync(path: string): GroundTruth {
    let text: string;
    try {
      if (!statSync(path).isFile()) throw new Error('not a regular file');
      const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        if (!fstatSync(fd).isFile()) throw new Error('not a regular file');
        const buffer = Buffer.alloc(MAX_LABELS_BYTES + 1);
        text = labelsText(buffer, readSync(fd, buffer, 0, buffer.length, 0));
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      throw new GroundTruthError(
        path,
        0,
        `cannot be read (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    return GroundTruth.fromCsv(text, path);
  }

  /**
   * Label index of a packet: its source MAC's device, else its destination MAC's, else LABEL_NONE.
   * Two Map lookups at most; MACs are the decoder's lower-case interned strings.
   */
  labelOf(pkt: DecodedPacket): number {
    const src = pkt.srcMac;
    const dst = pkt.dstMac;
    // A conversation alternates (a, b) and (b, a): two remembered pairs answer most packets.
    if (src === this.pairSrcA && dst === this.pairDstA) return this.pairLabelA;
    if (src === this.pairSrcB && dst === this.pairDstB) return this.pairLabelB;
    const label = this.lookUpLabel(src, dst);
    this.pairSrcB = this.pairSrcA;
    this.pairDstB = this.pairDstA;
    this.pairLabelB = this.pairLabelA;
    this.pairSrcA = src;
    this.pairDstA = dst;
    this.pairLabelA = label;
    return label;
  }

  private lookUpLabel(src: string | null, dst: string | null): number {
    if (src !== null) {
      const label = this.labelByMac.get(src);
      if (label !== undefined) return label;
    }
    if (dst !== null) {
      const label = this.labelByMac.get(dst);
      if (label !== undefined) return label;
    }
    return LABEL_NONE;
  }

  /** Label index of one MAC (canonical lower-case text), or LABEL_NONE. */
  labelOfMac(mac: string): number {
    return this.labelByMac.get(mac) ?? LABEL_NONE;
  }

  /** The file's entry for a MAC (canonical lower-case text), infrastructure included. */
  entryOf(mac: string): GroundTruthEntry | undefined {
    return this.entryByMac.get(mac);
  }

  /** Index of a label by device name, or LABEL_NONE. */
  indexOfLabel(device: string): number {
    const i = this.labels.indexOf(device);
    return i < 0 ? LABEL_NONE : i;
  }
}
