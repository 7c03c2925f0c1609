/**
 * Fuzz test for the packet decoder: seeded mutations (bit flips, byte sets, truncations,
 * insertions, length-field smashing, link-type swaps) of real frames from the committed fixtures
 * (plus a MADEA capture when the dataset is present) and of hand-built frames for the layers the
 * fixtures lack. Every result must be self-consistent, no exception may reach the safety net,
 * and the whole run must finish well inside the test timeout.
 *
 * The seed is fixed (override with TELLTALE_FUZZ_SEED); a failure message names the seed, the
 * mutation number and the frame's bytes, so the case can be replayed.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { LinkType, type RawPacket } from '../../src-main/capture/packet-source.ts';
import type { DecodedPacket, LayerName } from '../../src-main/decode/decoded-packet.ts';
import { decodePacket } from '../../src-main/decode/decode-packet.ts';
import { mulberry32 as prng } from '../../src-main/views/seeded-random.ts';
import { parsePcap, readFrames } from './capture-frames.ts';
import {
  ascii,
  concat,
  dnsName,
  eth,
  extHeader,
  ipv4,
  ipv6,
  tcp,
  u16,
  u32,
  udp,
  vlanTag,
} from '../unit/decode/frames.ts';

const SEED = Number(process.env.TELLTALE_FUZZ_SEED ?? 0x7e11a1e);
const MUTATIONS = 120_000;
const TIME_LIMIT_MS = 30_000;

const REPO = path.resolve(import.meta.dirname, '../..');
const FIXTURES = path.join(REPO, 'test/fixtures/decode');
const MADEA_FILE = path.resolve(REPO, '../shared/datasets/madea/training/training_2023-5-25_19_25_10.cap.gz');

/** Hand-built frames for what the fixtures lack: VLANs, IPv6 extension chains, mDNS records, cooked capture. */
function builtFrames(): { bytes: number[]; linkType: number }[] {
  const mdns = concat(
    u16(0),
    u16(0x8400),
    u16(1),
    u16(2),
    u16(0),
    u16(0),
    dnsName('_hap._tcp.local'),
    u16(12),
    u16(1),
    [0xc0, 12],
    u16(12),
    u16(1),
    u32(120),
    u16(7),
    [4],
    ascii('Bulb'),
    [0xc0, 12],
    [0xc0, 29],
    u16(33),
    u16(1),
    u32(120),
    u16(10),
    u16(0),
    u16(0),
    u16(80),
    [2],
    ascii('hb'),
    [0xc0, 22],
  );
  const hello = concat(
    [0x16, 3, 1],
    u16(60),
    [1, 0, 0, 56, 3, 3],
    new Array<number>(32).fill(1),
    [0],
    u16(2),
    [0x13, 1],
    [1, 0],
  );
  const helloExt = concat(hello, u16(16), u16(0), u16(12), u16(10), [0], u16(7), ascii('a.b.com'));
  const ssdp = ascii(
    'NOTIFY * HTTP/1.1\r\nSERVER: x\r\nUSN: uuid:1\r\nNT: upnp:rootdevice\r\nLOCATION: http://a/\r\n\r\n',
  );
  const http = ascii('GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: b\r\n\r\n');
  const sll = concat(u16(0), u16(1), u16(6), [1, 2, 3, 4, 5, 6, 0, 0], u16(0x0800));
  return [
    {
      bytes: eth(0x88a8, concat(u16(5), vlanTag(0x8100, 6), u16(0x0800), ipv4(udp(mdns, 5353, 5353)))),
      linkType: 1,
    },
    {
      bytes: eth(
        0x86dd,
        ipv6(concat(extHeader(44), [17, 0, 0, 0, 0, 0, 0, 1], udp(mdns, 5353, 5353)), { next: 0 }),
      ),
      linkType: 1,
    },
    { bytes: eth(0x0800, ipv4(tcp(helloExt), { proto: 6 })), linkType: 1 },
    { bytes: eth(0x0800, ipv4(udp(ssdp, 1900, 1900))), linkType: 1 },
    { bytes: eth(0x0800, ipv4(tcp(http, 5000, 8080), { proto: 6, options: [1, 1, 1, 0] })), linkType: 1 },
    { bytes: concat(sll, ipv4(udp(mdns, 5353, 5353))), linkType: LinkType.LINUX_SLL },
    { bytes: concat([2, 0, 0, 0], ipv4(tcp(http), { proto: 6 })), linkType: LinkType.NULL },
    { bytes: ipv6(concat([6, 0, 0, 0, 0, 0, 0, 0], tcp(helloExt)), { next: 60 }), linkType: LinkType.RAW },
  ];
}

/** Up to `perKind` frames for each distinct layer stack, so rare kinds are not drowned by TCP. */
function diverse(packets: readonly RawPacket[], perKind: number): RawPacket[] {
  const seen = new Map<string, number>();
  const out: RawPacket[] = [];
  for (const p of packets) {
    const key = decodePacket(p).layers.join('/');
    const n = seen.get(key) ?? 0;
    if (n < perKind) {
      seen.set(key, n + 1);
      out.push(p);
    }
  }
  return out;
}

function corpus(): RawPacket[] {
  const frames: RawPacket[] = [];
  for (const f of ['xiaodu-plug-setup.pcap', 'xiaobai-camera-setup.pcap', 'tuya-plug-active-1-600.pcap']) {
    frames.push(...diverse(parsePcap(readFileSync(path.join(FIXTURES, f))), 12));
  }
  if (existsSync(MADEA_FILE)) frames.push(...diverse(readFrames(MADEA_FILE), 12));
  for (const { bytes, linkType } of builtFrames()) {
    const b = Uint8Array.from(bytes);
    frames.push({ ts: 0, caplen: b.length, origLen: b.length, linkType, bytes: b, index: 0 });
  }
  return frames;
}

const LINK_TYPES = Object.values(LinkType);
const INTERESTING = [0x00, 0x01, 0x05, 0x06, 0x11, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xfe, 0xff];
const INTERESTING16 = [0, 1, 7, 8, 20, 0x3fff, 0x7fff, 0x8000, 0xfffe, 0xffff];

/** Applies 1–4 random mutations to a copy of `base`. */
function mutate(base: RawPacket, rnd: () => number): RawPacket {
  let b: Uint8Array = base.bytes.slice();
  let linkType = base.linkType;
  const ops = 1 + Math.floor(rnd() * 4);
  const pick = (n: number): number => Math.floor(rnd() * n);
  for (let i = 0; i < ops; i++) {
    const op = pick(7);
    if (op === 0 && b.length > 0) {
      b[pick(b.length)] ^= 1 << pick(8); // bit flip
    } else if (op === 1 && b.length > 0) {
      b[pick(b.length)] = rnd() < 0.5 ? INTERESTING[pick(INTERESTING.length)] : pick(256); // byte set
    } else if (op === 2) {
      b = b.slice(0, pick(b.length + 1)); // truncation
    } else if (op === 3) {
      const at = pick(b.length + 1); // insertion
      const extra = Uint8Array.from({ length: 1 + pick(8) }, () => pick(256));
      const next = new Uint8Array(b.length + extra.length);
      next.set(b.subarray(0, at), 0);
      next.set(extra, at);
      next.set(b.subarray(at), at + extra.length);
      b = next;
    } else if (op === 4 && b.length > 1) {
      // Length-field smashing: a 16-bit extreme in the header region, where lengths live.
      const at = pick(Math.min(b.length - 1, 96));
      const v = INTERESTING16[pick(INTERESTING16.length)];
      b[at] = v >> 8;
      b[at + 1] = v & 0xff;
    } else if (op === 5) {
      linkType = LINK_TYPES[pick(LINK_TYPES.length)];
    } else if (op === 6 && b.length > 0) {
      b[pick(Math.min(b.length, 64))] = pick(256); // header-region byte set
    }
  }
  const origLen = rnd() < 0.2 ? b.length + pick(1500) : b.length;
  return { ts: base.ts, caplen: b.length, origLen, linkType, bytes: b, index: base.index };
}

const APP_LAYERS: ReadonlySet<LayerName> = new Set(['dns', 'mdns', 'dhcp', 'ssdp', 'tls', 'http']);

/** The invariants every decoded packet must satisfy; returns the first violation, or null. */
function violation(d: DecodedPacket): string | null {
  const n = d.raw.bytes.length;
  if (d.error !== null) {
    if (d.error.message.startsWith('internal decoder error')) return d.error.message;
    if (!(d.error.offset >= 0 && d.error.offset <= n))
      return `error offset ${d.error.offset} outside the bytes`;
  }
  if (d.payloadOffset < 0 || d.payloadLength < 0 || d.payloadOffset + d.payloadLength > n) {
    return `payload [${d.payloadOffset}, +${d.payloadLength}) outside ${n} bytes`;
  }
  const has = (l: LayerName): boolean => d.layers.includes(l);
  if (d.vlanIds.length !== d.layers.filter((l) => l === 'vlan').length)
    return 'vlanIds do not match vlan layers';
  if (d.vlanIds.some((v) => v < 0 || v > 0xfff)) return 'VLAN id out of range';
  if ((d.ipVersion === 4) !== has('ipv4') || (d.ipVersion === 6) !== has('ipv6'))
    return 'ipVersion does not match layers';
  if ((d.ipVersion === 4) !== (d.srcIpv4 >= 0 && d.dstIpv4 >= 0))
    return 'numeric IPv4 addresses do not match ipVersion';
  if ((d.ipVersion === 0) !== (d.srcIp === null) || (d.srcIp === null) !== (d.dstIp === null))
    return 'IP addresses inconsistent';
  const ported = has('tcp') || has('udp');
  if (ported !== d.srcPort >= 0 || ported !== d.dstPort >= 0) return 'ports do not match transport';
  if (d.srcPort > 0xffff || d.dstPort > 0xffff) return 'port out of range';
  if ((has('icmp') || has('icmpv6')) !== d.icmpType >= 0) return 'ICMP type does not match layers';
  if (!has('tcp') && d.tcpFlags !== 0) return 'TCP flags without TCP';
  if (d.arp !== null && !has('arp')) return 'ARP without arp layer';
  if (d.ttl < 0 || d.ttl > 255) return 'TTL out of range';
  if (d.fragmentOffset < 0 || d.fragmentOffset > 0xffff) return 'fragment offset out of range';
  if (d.fragmentOffset > 0 && (ported || has('icmp') || has('icmpv6')))
    return 'transport decoded in a later fragment';
  const apps = d.layers.filter((l) => APP_LAYERS.has(l));
  if (apps.length > 1) return 'more than one application layer';
  if (apps.length > 0 && !ported) return 'application layer without transport';
  const h = d.hints;
  if (h !== null) {
    if (h.dns !== undefined && !has('dns') && !has('mdns')) return 'DNS hint without dns layer';
    if (h.dhcp !== undefined && !has('dhcp')) return 'DHCP hint without dhcp layer';
    if (h.ssdp !== undefined && !has('ssdp')) return 'SSDP hint without ssdp layer';
    if (h.sni !== undefined && !has('tls')) return 'SNI without tls layer';
    if (h.http !== undefined && !has('http')) return 'HTTP hint without http layer';
    if (h.dns !== undefined && h.dns.questions.length + h.dns.answers.length > 64 + 256)
      return 'too many DNS records';
  }
  return null;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

it(`decoder survives ${MUTATIONS} seeded mutations of real frames (seed ${SEED})`, () => {
  const frames = corpus();
  expect(frames.length).toBeGreaterThan(30);
  for (const f of frames) expect(violation(decodePacket(f)), `unmutated frame ${hex(f.bytes)}`).toBeNull();

  const rnd = prng(SEED);
  const started = performance.now();
  const kinds = { none: 0, truncated: 0, malformed: 0 };
  for (let i = 0; i < MUTATIONS; i++) {
    const pkt = mutate(frames[Math.floor(rnd() * frames.length)], rnd);
    let d: DecodedPacket;
    try {
      d = decodePacket(pkt);
    } catch (e) {
      throw new Error(
        `seed ${SEED} mutation ${i}: decodePacket threw on link ${pkt.linkType} ${hex(pkt.bytes)}`,
        {
          cause: e,
        },
      );
    }
    const problem = violation(d);
    if (problem !== null) {
      throw new Error(`seed ${SEED} mutation ${i}: ${problem}; link ${pkt.linkType} frame ${hex(pkt.bytes)}`);
    }
    kinds[d.error === null ? 'none' : d.error.kind]++;
  }
  const elapsed = performance.now() - started;
  expect(elapsed, `seed ${SEED}: ${MUTATIONS} mutations took ${elapsed.toFixed(0)} ms`).toBeLessThan(
    TIME_LIMIT_MS,
  );
  // The mutations reach both error kinds and still leave many packets whole.
  expect(kinds.truncated).toBeGreaterThan(1000);
  expect(kinds.malformed).toBeGreaterThan(1000);
  expect(kinds.none).toBeGreaterThan(1000);
});
