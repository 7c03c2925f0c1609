/**
 * Building `CaptureError` records: one place decides how a problem with a capture reads to the
 * user, so every message names the source and the byte offset the same way.
 */
import type { CaptureError, CaptureErrorKind } from './packet-source.ts';

/** Where a problem was found, as the reader knows it. */
export interface ErrorPlace {
  /** File path or interface name. */
  source: string;
  /** Byte offset in the (decompressed) capture; -1 when not applicable. */
  offset: number;
  /** True when the capture is gzip-compressed, so the offset counts decompressed bytes. */
  decompressed: boolean;
}

/**
 * A CaptureError whose message reads "<source> at byte offset N[ of the decompressed data]:
 * <detail>" (or "<source>: <detail>" without an offset). `detail` is a lower-case phrase.
 */
export function captureError(
  kind: CaptureErrorKind,
  place: ErrorPlace,
  fatal: boolean,
  detail: string,
): CaptureError {
  let where = '';
  if (place.offset >= 0) {
    where = place.decompressed
      ? ` at byte offset ${place.offset} of the decompressed data`
      : ` at byte offset ${place.offset}`;
  }
  return {
    kind,
    source: place.source,
    offset: place.offset,
    fatal,
    message: `${place.source}${where}: ${detail}`,
  };
}

/** A parser's account of a problem (and of why it stopped, when fatal): the owner turns it into a CaptureError. */
export interface ParseFailure {
  kind: CaptureErrorKind;
  /** Offset in the (decompressed) capture where the bad record starts. */
  offset: number;
  detail: string;
  /** False for problems the parser stepped over (e.g. a packet naming an unknown interface). */
  fatal: boolean;
}
