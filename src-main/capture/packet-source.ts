/**
 * The one shape every packet source yields: a capture file replayed as fast as possible or
 * paced by its own timestamps, or a live interface. Later stages never know which.
 */

/** libpcap LINKTYPE_* values we decode (https://www.tcpdump.org/linktypes.html). */
export const LinkType = {
  NULL: 0, // BSD loopback: 4-byte address family in host byte order
  ETHERNET: 1,
  RAW_OPENBSD: 12, // DLT_RAW on some BSDs
  RAW_BSDOS: 14,
  LOOP: 108, // OpenBSD loopback: address family in network byte order
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export interface RawPacket {
  /** Capture timestamp in seconds since the Unix epoch (fractional, microsecond precision or better). */
  ts: number;
  /** Bytes captured (may be less than origLen when the snap length cut the packet). */
  caplen: number;
  /** Length of the packet on the wire; use this for sizes. */
  origLen: number;
  /** LINKTYPE_* of the interface the packet was captured on. */
  linkType: number;
  /** The captured bytes, owned by this packet (never a view into a reused buffer); length === caplen. */
  bytes: Uint8Array;
  /** 0-based index of the packet within its source (file or live session). */
  index: number;
}

export type CaptureErrorKind =
  | 'empty' // zero-length file
  | 'bad-magic' // not a pcap / pcapng / gzip file
  | 'truncated' // the file ends inside a header or record
  | 'malformed' // a header or block field is impossible (length too big, bad block size, ...)
  | 'io' // the file could not be opened or read, or gzip data is corrupt
  | 'permission' // live capture not permitted
  | 'dropped'; // the capturing program recorded packets it lost (pcapng interface statistics)

export interface CaptureError {
  kind: CaptureErrorKind;
  /** File path or interface name. */
  source: string;
  /** Byte offset in the (decompressed) capture where the problem starts; -1 when not applicable. */
  offset: number;
  /** True when nothing more can be read from this source. Packets before the damage were delivered. */
  fatal: boolean;
  /** One-line, user-facing message naming the source and the offset. */
  message: string;
}

export interface SourceStats {
  packets: number;
  /** Sum of origLen over delivered packets. */
  bytes: number;
  /** Bytes of (decompressed) input consumed so far, for progress. */
  position: number;
  /** Total size of the input if known (compressed size for gzip files; pair with compressedPosition). */
  totalBytes: number | null;
  /** Bytes of the raw file consumed so far (differs from position for gzip). */
  filePosition: number;
  /** Packets the source had to drop (live capture only). */
  dropped: number;
}

/** Stats of a source that has read nothing yet. */
export function emptySourceStats(): SourceStats {
  return { packets: 0, bytes: 0, position: 0, totalBytes: null, filePosition: 0, dropped: 0 };
}

export interface ReplayPacing {
  /** 'max' replays as fast as possible; a number paces by the capture's own timestamps (1 = real time, 10 = ten times faster). */
  speed: 'max' | number;
}

export interface PacketSource {
  /** File path or interface name, for messages. */
  readonly name: string;
  /**
   * Packets in capture order, in batches (a batch per chunk of input keeps the per-packet cost low).
   * Iteration ends normally at the end of the input, after stop(), or at damage; problems are
   * reported in `errors`, never thrown. Can be iterated once.
   */
  batches(): AsyncIterable<readonly RawPacket[]>;
  /** Ends iteration after the current batch. */
  stop(): void;
  /** Pause / resume delivery (pacing clock pauses with it). */
  pause(): void;
  resume(): void;
  /** Changes the replay speed of a file source (live sources ignore it). */
  setSpeed(speed: ReplayPacing['speed']): void;
  readonly stats: SourceStats;
  readonly errors: readonly CaptureError[];
}
