/**
 * Cross-check of the packet decoder against tshark on real captures: for every packet, frame
 * length, MACs, IP addresses, ports, IP protocol, DNS query names, TLS SNI and DHCP host name
 * must agree exactly.
 *
 * tshark's conventions and how we normalise them:
 * * Reassembly is switched off (`tcp.desegment_tcp_streams`, `ip.defragment`, `ipv6.defragment`)
 *   so that tshark, like our decoder, looks at each packet on its own. Without it tshark reports
 *   a ClientHello's SNI, or a fragmented datagram's ports, on the packet that completes it.
 *   TCP sequence analysis is off too: with it, tshark does not dissect the payload of a segment
 *   it takes for a retransmission (so a retransmitted ClientHello shows no SNI there).
 * * A field that occurs more than once is printed once per occurrence, joined by the aggregator
 *   (we pick U+001F so that names containing commas stay intact). Addresses and ports occur
 *   more than once in ICMP errors (the quoted packet) and tunnels: we compare the first
 *   occurrence only, the outer header; and we skip ports, DNS names and host names for ICMP /
 *   ICMPv6 packets, whose quoted headers tshark decodes and we deliberately do not.
 * * SNI: tshark picks a TCP payload's dissector by port before it tries TLS, so a ClientHello
 *   sent to or from a port that another protocol registered (seen: WeMo devices' source port
 *   4730, "Gearman") is not dissected as TLS and has no SNI field. Where tshark's
 *   frame.protocols has no "tls" for a packet that we read as a TLS ClientHello, SNI is not
 *   compared for that packet (everything else still is).
 * * DNS names: tshark writes the root name as "<Root>"; we write "".
 * * MACs: tshark's eth.src / eth.dst exist for Ethernet frames only (SLL has sll.src.eth).
 * * ip.proto is compared for IPv4 packets (IPv6 has no ip.proto).
 *
 * Real datasets live beside the repository (../shared/datasets) and may be absent: those cases
 * are skipped with a reason. The committed fixtures always run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCaptureFile } from '../../src-main/capture/capture-file.ts';
import type { DecodedPacket } from '../../src-main/decode/decoded-packet.ts';
import { decodePacket } from '../../src-main/decode/decode-packet.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const FIXTURES = path.join(REPO, 'test/fixtures/decode');
const DATASETS = path.resolve(REPO, '../shared/datasets');

const FIELDS = [
  'frame.len',
  'eth.src',
  'eth.dst',
  'ip.src',
  'ip.dst',
  'ipv6.src',
  'ipv6.dst',
  'tcp.srcport',
  'tcp.dstport',
  'udp.srcport',
  'udp.dstport',
  'ip.proto',
  'dns.qry.name',
  'tls.handshake.extensions_server_name',
  'dhcp.option.hostname',
] as const;
type Field = (typeof FIELDS)[number];
/** Not compared: tells which protocols tshark dissected (see the SNI note above). */
const PROTOCOLS_FIELD = 'frame.protocols';

const AGGREGATOR = '\u001f';

const tsharkAvailable = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;

/** One row of tshark output per frame, each field split into its occurrences. */
interface TsharkRow {
  fields: Map<Field, string[]>;
  protocols: string[];
}

function tsharkRows(file: string): TsharkRow[] {
  const args = ['-r', file, '-n'];
  const prefs = [
    'tcp.desegment_tcp_streams:FALSE',
    'tcp.analyze_sequence_numbers:FALSE',
    'ip.defragment:FALSE',
    'ipv6.defragment:FALSE',
  ];
  for (const pref of prefs) {
    args.push('-o', pref);
  }
  args.push('-T', 'fields', '-E', 'separator=/t', '-E', `aggregator=${AGGREGATOR}`);
  for (const f of FIELDS) args.push('-e', f);
  args.push('-e', PROTOCOLS_FIELD);
  // A file cut mid-packet makes tshark exit non-zero after printing every packet before the cut.
  const run = spawnSync('tshark', args, { maxBuffer: 512 * 1024 * 1024, encoding: 'utf8' });
  const lines = run.stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => {
    const cols = line.split('\t');
    const fields = new Map<Field, string[]>();
    FIELDS.forEach((f, i) =>
      fields.set(f, cols[i] === undefined || cols[i] === '' ? [] : cols[i].split(AGGREGATOR)),
    );
    return { fields, protocols: (cols[FIELDS.length] ?? '').split(':') };
  });
}

/** Our view of the same fields, normalised to tshark's text (see the module comment). */
function ours(d: DecodedPacket): Partial<Record<Field, string>> {
  const out: Partial<Record<Field, string>> = { 'frame.len': String(d.raw.origLen) };
  const eth = d.layers[0] === 'eth';
  out['eth.src'] = eth ? (d.srcMac ?? '') : '';
  out['eth.dst'] = eth ? (d.dstMac ?? '') : '';
  out['ip.src'] = d.ipVersion === 4 ? (d.srcIp ?? '') : '';
  out['ip.dst'] = d.ipVersion === 4 ? (d.dstIp ?? '') : '';
  out['ipv6.src'] = d.ipVersion === 6 ? (d.srcIp ?? '') : '';
  out['ipv6.dst'] = d.ipVersion === 6 ? (d.dstIp ?? '') : '';
  out['ip.proto'] = d.ipVersion === 4 ? String(d.ipProto) : '';
  const tcp = d.layers.includes('tcp');
  const udp = d.layers.includes('udp');
  out['tcp.srcport'] = tcp ? String(d.srcPort) : '';
  out['tcp.dstport'] = tcp ? String(d.dstPort) : '';
  out['udp.srcport'] = udp ? String(d.srcPort) : '';
  out['udp.dstport'] = udp ? String(d.dstPort) : '';
  out['dns.qry.name'] = (d.hints?.dns?.questions ?? [])
    .map((n) => (n === '' ? '<Root>' : n))
    .join(AGGREGATOR);
  out['tls.handshake.extensions_server_name'] = d.hints?.sni ?? '';
  out['dhcp.option.hostname'] = d.hints?.dhcp?.hostname ?? '';
  return out;
}

/** Fields compared as all occurrences joined; every other field on its first occurrence (the outer header). */
const ALL_OCCURRENCES: ReadonlySet<Field> = new Set(['dns.qry.name']);
/** Fields skipped on ICMP packets (tshark decodes the quoted packet). */
const SKIP_ON_ICMP: ReadonlySet<Field> = new Set([
  'tcp.srcport',
  'tcp.dstport',
  'udp.srcport',
  'udp.dstport',
  'dns.qry.name',
  'dhcp.option.hostname',
  'tls.handshake.extensions_server_name',
]);

async function crossCheck(file: string): Promise<{ packets: number; mismatches: string[] }> {
  const rows = tsharkRows(file);
  const mismatches: string[] = [];
  const source = openCaptureFile(file);
  let index = 0;
  for await (const batch of source.batches()) {
    for (const raw of batch) {
      const row = rows[index];
      const d = decodePacket(raw);
      index++;
      if (row === undefined) continue;
      const icmp = d.layers.includes('icmp') || d.layers.includes('icmpv6');
      const mine = ours(d);
      const tlsElsewhere = d.layers.includes('tls') && !row.protocols.includes('tls');
      for (const f of FIELDS) {
        if (icmp && SKIP_ON_ICMP.has(f)) continue;
        if (tlsElsewhere && f === 'tls.handshake.extensions_server_name') continue;
        const values = row.fields.get(f) ?? [];
        const expected = ALL_OCCURRENCES.has(f) ? values.join(AGGREGATOR) : (values[0] ?? '');
        if (mine[f] !== expected && mismatches.length < 20) {
          mismatches.push(
            `frame ${index} ${f}: tshark ${JSON.stringify(expected)} ours ${JSON.stringify(mine[f])}`,
          );
        }
      }
    }
  }
  if (index !== rows.length) mismatches.push(`packet count: tshark ${rows.length} ours ${index}`);
  return { packets: index, mismatches };
}

/** Real captures, relative to the datasets folder: a few per source. */
const DATASET_FILES = [
  'madea/training/training_2023-5-25_19_25_10.cap.gz',
  'madea/training/training_2023-5-26_8_38_48.cap.gz',
  'madea/monitoring/monitoring_2023-6-13_0_55_26.cap.gz',
  'madea/monitoring/monitoring_2023-5-31_10_11_20.cap.gz', // ends mid-packet
  'extras/nku-lifecycle/xiaodu_plug/xiaodu_plug.pcap.gz',
  'extras/nku-lifecycle/xiaobai_Y2camera_lifecycle/xiaobai_Y2camera_idle_local.pcap.gz',
  'extras/ssi-tuya-plug/2-smartPowerPlugPassiveMeasurements.pcap.gz',
  'extras/mud-devices/door_sensor-19JWT/G06-door_sensor-19JWT.pcapng.gz',
  'extras/mud-devices/mood_lamp-3204432/G06-mood_lamp-3204432.pcap.gz',
  'extras/mud-devices/tapo-p115/G06-tapo-p115.pcap.gz',
  'iot-sentinel/Aria/Setup-A-1-STA.pcap.gz',
  'iot-sentinel/HueBridge/Setup-A-1-STA.pcap.gz',
  'iot-sentinel/WeMoSwitch/Setup-A-1-STA.pcap.gz',
  'iot-sentinel/D-LinkCam/Setup-A-1-STA.pcap.gz',
  'iot-sentinel/EdimaxPlug1101W/Setup-A-1-STA.pcap.gz',
];

const FIXTURE_FILES = ['xiaodu-plug-setup.pcap', 'xiaobai-camera-setup.pcap', 'tuya-plug-active-1-600.pcap'];

describe.skipIf(!tsharkAvailable)('decoder agrees with tshark', () => {
  for (const name of FIXTURE_FILES) {
    it(`fixture ${name}`, async () => {
      const { packets, mismatches } = await crossCheck(path.join(FIXTURES, name));
      expect(packets).toBeGreaterThan(0);
      expect(mismatches).toEqual([]);
    });
  }

  for (const rel of DATASET_FILES) {
    const file = path.join(DATASETS, rel);
    it.skipIf(!existsSync(file))(
      `dataset ${rel}${existsSync(file) ? '' : ' (skipped: dataset not present)'}`,
      async () => {
        const { packets, mismatches } = await crossCheck(file);
        expect(packets).toBeGreaterThan(0);
        expect(mismatches).toEqual([]);
      },
    );
  }
});

it('tshark knows every field we compare', () => {
  if (!tsharkAvailable) return;
  const known = new Set(
    execFileSync('tshark', ['-G', 'fields'], { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' })
      .split('\n')
      .map((line) => line.split('\t')[2]),
  );
  expect(FIELDS.filter((f) => !known.has(f))).toEqual([]);
});
