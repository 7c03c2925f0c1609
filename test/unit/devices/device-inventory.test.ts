import { describe, expect, it } from 'vitest';
import type { DecodedPacket } from '../../../src-main/decode/decoded-packet.ts';
import { DeviceInventory } from '../../../src-main/devices/device-inventory.ts';
import type { DeviceRecord } from '../../../src-main/devices/device-record.ts';
import { GroundTruth } from '../../../src-main/devices/ground-truth.ts';
import { LOCALLY_ADMINISTERED_VENDOR } from '../../../src-main/devices/oui.ts';
import { dhcpHint, dnsQuery, mdnsResponse, packet } from './packet-factory.ts';

const GATEWAY = 'dc:a6:32:ce:31:63';
const CAMERA = '64:16:66:49:3e:cb';
const PLUG = '24:ce:33:24:b5:cb';
const PHONE = 'e6:ce:94:c8:64:43';
const GW_IP = '192.168.4.1';
const CAMERA_IP = '192.168.4.10';
const PLUG_IP = '192.168.4.11';

function record(inv: DeviceInventory, mac: string): DeviceRecord {
  const r = inv.get(mac);
  if (r === undefined) throw new Error(`no record for ${mac}`);
  return r;
}

function feed(inv: DeviceInventory, packets: DecodedPacket[]): void {
  for (const p of packets) inv.observe(p);
}

/** Camera ⇄ n public servers through the gateway, one request and one reply each. */
function internetTraffic(device: string, deviceIp: string, servers: number, ts = 2000): DecodedPacket[] {
  const out: DecodedPacket[] = [];
  for (let i = 0; i < servers; i++) {
    const server = `52.94.${i >> 8}.${(i & 0xff) + 1}`;
    out.push(
      packet({ ts: ts + i, srcMac: device, dstMac: GATEWAY, srcIp: deviceIp, dstIp: server, len: 120 }),
    );
    out.push(
      packet({
        ts: ts + i + 0.5,
        srcMac: GATEWAY,
        dstMac: device,
        srcIp: server,
        dstIp: deviceIp,
        len: 1500,
      }),
    );
  }
  return out;
}

describe('DeviceInventory: who is a device', () => {
  it('never makes a device of a multicast or broadcast MAC', () => {
    const inv = new DeviceInventory();
    feed(inv, [
      packet({ srcMac: CAMERA, dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: CAMERA_IP, dstIp: '255.255.255.255' }),
      packet({ srcMac: CAMERA, dstMac: '01:00:5e:00:00:fb', srcIp: CAMERA_IP, dstIp: '224.0.0.251' }),
      packet({ srcMac: CAMERA, dstMac: '33:33:00:00:00:fb', srcIp: 'fe80::1', dstIp: 'ff02::fb' }),
      packet({ srcMac: '01:80:c2:00:00:00', dstMac: '01:80:c2:00:00:0e' }),
      packet({ srcMac: '00:00:00:00:00:00', dstMac: PLUG }),
      packet({ srcMac: null, dstMac: null, srcIp: '10.0.0.1', dstIp: '10.0.0.2' }),
    ]);
    expect(
      inv
        .devices()
        .map((d) => d.mac)
        .sort(),
    ).toEqual([PLUG, CAMERA].sort());
    expect(record(inv, CAMERA).localPeerCount).toBe(0);
    expect(record(inv, CAMERA).packetsSent).toBe(3);
    expect(record(inv, PLUG).packetsReceived).toBe(1);
  });

  it('looks up the vendor, and marks a randomised MAC instead of naming a vendor', () => {
    const inv = new DeviceInventory();
    feed(inv, [packet({ srcMac: CAMERA, dstMac: PHONE })]);
    const camera = record(inv, CAMERA);
    expect(camera.vendor).toBe('Nest Labs Inc.');
    expect(camera.locallyAdministered).toBe(false);
    expect(camera.displayName).toBe('Nest Labs Inc. (3e:cb)');
    const phone = record(inv, PHONE);
    expect(phone.vendor).toBeNull();
    expect(phone.locallyAdministered).toBe(true);
    expect(phone.vendorText).toBe(LOCALLY_ADMINISTERED_VENDOR);
    expect(phone.displayName).toBe(PHONE);
  });

  it('finds a record by any spelling of its MAC', () => {
    const inv = new DeviceInventory();
    feed(inv, [packet({ srcMac: CAMERA, dstMac: GATEWAY })]);
    expect(inv.get('64-16-66-49-3E-CB')?.mac).toBe(CAMERA);
    expect(inv.get('00:11:22:33:44:55')).toBeUndefined();
    expect(inv.get('junk')).toBeUndefined();
  });
});

describe('DeviceInventory: traffic counts', () => {
  it('counts packets and origLen bytes per direction, and first / last seen', () => {
    const inv = new DeviceInventory();
    feed(inv, [
      packet({ ts: 10, srcMac: CAMERA, dstMac: GATEWAY, srcIp: CAMERA_IP, dstIp: '8.8.8.8', len: 100 }),
      packet({ ts: 11, srcMac: GATEWAY, dstMac: CAMERA, srcIp: '8.8.8.8', dstIp: CAMERA_IP, len: 1500 }),
      packet({ ts: 12, srcMac: GATEWAY, dstMac: CAMERA, srcIp: '8.8.8.8', dstIp: CAMERA_IP, len: 1500 }),
      packet({ ts: 9, srcMac: CAMERA, dstMac: 'ff:ff:ff:ff:ff:ff', len: 60 }),
    ]);
    const camera = record(inv, CAMERA);
    expect([camera.packetsSent, camera.bytesSent, camera.packetsReceived, camera.bytesReceived]).toEqual([
      2, 160, 2, 3000,
    ]);
    expect([camera.firstSeen, camera.lastSeen]).toEqual([9, 12]);
    const gateway = record(inv, GATEWAY);
    expect([gateway.packetsSent, gateway.bytesSent, gateway.packetsReceived, gateway.bytesReceived]).toEqual([
      2, 3000, 1, 100,
    ]);
    expect(inv.toJSON().packets).toBe(4);
  });

  it('separates local peers (LAN MACs) from remote peers (public IPs)', () => {
    const inv = new DeviceInventory();
    feed(inv, [
      ...internetTraffic(CAMERA, CAMERA_IP, 3),
      packet({ srcMac: CAMERA, dstMac: GATEWAY, srcIp: CAMERA_IP, dstIp: '52.94.0.1', len: 50 }),
      packet({ srcMac: PLUG, dstMac: CAMERA, srcIp: PLUG_IP, dstIp: CAMERA_IP, len: 70 }),
      packet({ srcMac: CAMERA, dstMac: PLUG, srcIp: CAMERA_IP, dstIp: PLUG_IP, len: 80 }),
      packet({ srcMac: CAMERA, dstMac: GATEWAY, srcIp: CAMERA_IP, dstIp: GW_IP, len: 90 }), // DNS to the router
      packet({ srcMac: CAMERA, dstMac: GATEWAY, srcIp: CAMERA_IP, dstIp: '100.64.0.1', len: 90 }), // CGNAT is not remote
    ]);
    const camera = record(inv, CAMERA);
    expect(camera.remotePeerCount).toBe(3);
    expect(camera.remotePeersTruncated).toBe(false);
    expect(camera.remotePeers[0]).toEqual({ address: '52.94.0.1', packets: 3, bytes: 120 + 1500 + 50 });
    expect(camera.localPeers).toEqual([
      { mac: PLUG, packets: 2, bytes: 150 },
      { mac: GATEWAY, packets: 2, bytes: 180 },
    ]);
    expect(record(inv, PLUG).localPeers).toEqual([{ mac: CAMERA, packets: 2, bytes: 150 }]);
    expect(record(inv, PLUG).remotePeerCount).toBe(0);
    expect(record(inv, GATEWAY).remotePeerCount).toBe(0);
  });
});

describe('DeviceInventory: addresses over time', () => {
  it('learns addresses from DHCP ACK, ARP and the device’s own source address', () => {
    const inv = new DeviceInventory();
    feed(inv, [
      packet({
        ts: 100,
        srcMac: GATEWAY,
        dstMac: PLUG,
        srcIp: GW_IP,
        dstIp: '192.168.4.50',
        hints: { dhcp: dhcpHint({ messageType: 5, clientMac: PLUG, yourIp: '192.168.4.50', router: GW_IP }) },
      }),
      packet({ ts: 101, srcMac: PLUG, dstMac: GATEWAY, srcIp: '192.168.4.50', dstIp: GW_IP }),
      packet({ ts: 150, srcMac: PLUG, dstMac: GATEWAY, srcIp: '192.168.4.50', dstIp: GW_IP }),
      packet({
        ts: 200,
        srcMac: PLUG,
        dstMac: 'ff:ff:ff:ff:ff:ff',
        arp: {
          op: 1,
          senderMac: PLUG,
          senderIp: '192.168.4.51',
          targetMac: '00:00:00:00:00:00',
          targetIp: GW_IP,
        },
      }),
      packet({
        ts: 201,
        srcMac: PLUG,
        dstMac: 'ff:ff:ff:ff:ff:ff',
        arp: {
          op: 1,
          senderMac: PLUG,
          senderIp: '0.0.0.0',
          targetMac: '00:00:00:00:00:00',
          targetIp: '192.168.4.52',
        },
      }),
      packet({
        ts: 300,
        srcMac: PLUG,
        dstMac: '33:33:00:00:00:01',
        srcIp: 'fe80::2ce:33ff:fe24:b5cb',
        dstIp: 'ff02::1',
      }),
      packet({
        ts: 301,
        srcMac: PLUG,
        dstMac: 'ff:ff:ff:ff:ff:ff',
        srcIp: '0.0.0.0',
        dstIp: '255.255.255.255',
      }),
    ]);
    const plug = record(inv, PLUG);
    expect(plug.addresses).toEqual([
      { address: 'fe80::2ce:33ff:fe24:b5cb', version: 6, source: 'ip-source', firstSeen: 300, lastSeen: 300 },
      { address: '192.168.4.51', version: 4, source: 'arp', firstSeen: 200, lastSeen: 200 },
      { address: '192.168.4.50', version: 4, source: 'dhcp-ack', firstSeen: 100, lastSeen: 150 },
    ]);
    expect(record(inv, GATEWAY).addresses.map((a) => a.address)).toEqual([GW_IP]);
  });

  it('keeps a bounded address list, dropping the stalest', () => {
    const inv = new DeviceInventory({ limits: { maxAddressesPerDevice: 3 } });
    for (let i = 1; i <= 5; i++)
      inv.observe(
        packet({ ts: i, srcMac: PLUG, dstMac: GATEWAY, srcIp: `10.0.0.${i}`, dstIp: '10.0.0.254' }),
      );
    expect(record(inv, PLUG).addresses.map((a) => a.address)).toEqual(['10.0.0.5', '10.0.0.4', '10.0.0.3']);
    expect(inv.overflow.droppedEntries).toBe(2);
  });

  it('keeps a host’s own global IPv6 address but not the internet behind the gateway', () => {
    const inv = new DeviceInventory();
    const gua = '2a02:8108:1:2::10';
    feed(inv, internetTraffic(CAMERA, CAMERA_IP, 20));
    feed(inv, [
      packet({ srcMac: PLUG, dstMac: GATEWAY, srcIp: gua, dstIp: '2607:f8b0::1' }),
      packet({ srcMac: GATEWAY, dstMac: PLUG, srcIp: '2607:f8b0::1', dstIp: gua }),
    ]);
    expect(record(inv, PLUG).addresses.map((a) => a.address)).toEqual([gua]);
    expect(record(inv, PLUG).remotePeers.map((p) => p.address)).toEqual(['2607:f8b0::1']);
    expect(record(inv, GATEWAY).addresses).toEqual([]);
  });
});

describe('DeviceInventory: names', () => {
  it('takes DHCP host name and vendor class for the client MAC', () => {
    const inv = new DeviceInventory();
    inv.observe(
      packet({
        ts: 5,
        srcMac: PHONE,
        dstMac: 'ff:ff:ff:ff:ff:ff',
        srcIp: '0.0.0.0',
        dstIp: '255.255.255.255',
        hints: {
          dhcp: dhcpHint({
            messageType: 3,
            clientMac: PHONE,
            hostname: 'Pixel-6',
            vendorClass: 'android-dhcp-13',
          }),
        },
      }),
    );
    const phone = record(inv, PHONE);
    expect(phone.names).toEqual([
      { source: 'dhcp-hostname', name: 'Pixel-6', count: 1, firstSeen: 5, lastSeen: 5 },
      { source: 'dhcp-vendor-class', name: 'android-dhcp-13', count: 1, firstSeen: 5, lastSeen: 5 },
    ]);
    expect(phone.displayName).toBe('Pixel-6');
  });

  it('takes mDNS instance and host names from the device’s own responses only', () => {
    const inv = new DeviceInventory();
    feed(inv, [
      mdnsResponse(CAMERA, CAMERA_IP, [
        { name: '_services._dns-sd._udp.local', type: 12, data: '_googlecast._tcp.local' },
        { name: '_googlecast._tcp.local', type: 12, data: 'Front Door._googlecast._tcp.local' },
        { name: 'Front Door._googlecast._tcp.local', type: 33, data: 'Nest-Cam-1a2b.local:8009' },
        { name: 'Front Door._googlecast._tcp.local', type: 16, data: 'md=Nest Cam' },
        { name: 'Nest-Cam-1a2b.local', type: 1, data: CAMERA_IP },
        { name: '10.4.168.192.in-addr.arpa', type: 12, data: 'Nest-Cam-1a2b.local' },
      ]),
      // A query (not a response) names nothing.
      packet({
        srcMac: PLUG,
        dstMac: '01:00:5e:00:00:fb',
        srcIp: PLUG_IP,
        dstIp: '224.0.0.251',
        srcPort: 5353,
        dstPort: 5353,
        layers: ['eth', 'ipv4', 'udp', 'mdns'],
        hints: { dns: { id: 0, response: false, questions: ['_hap._tcp.local'], answers: [] } },
      }),
    ]);
    const camera = record(inv, CAMERA);
    expect(camera.names.map((n) => [n.source, n.name, n.count])).toEqual([
      ['mdns-instance', 'Front Door._googlecast._tcp.local', 2],
      ['mdns-host', 'Nest-Cam-1a2b.local', 3],
    ]);
    expect(camera.displayName).toBe('Front Door');
    expect(record(inv, PLUG).names).toEqual([]);
  });

  it('takes SSDP SERVER, USN and LOCATION', () => {
    const inv = new DeviceInventory();
    inv.observe(
      packet({
        srcMac: PLUG,
        dstMac: '01:00:5e:7f:ff:fa',
        srcIp: PLUG_IP,
        dstIp: '239.255.255.250',
        hints: {
          ssdp: {
            startLine: 'NOTIFY * HTTP/1.1',
            server: 'Linux/3.14 UPnP/1.0 Belkin/1.0',
            usn: 'uuid:Socket-1_0-221::upnp:rootdevice',
            location: 'http://192.168.4.11:49153/setup.xml',
            target: 'upnp:rootdevice',
          },
        },
      }),
    );
    expect(record(inv, PLUG).names.map((n) => [n.source, n.name])).toEqual([
      ['ssdp-server', 'Linux/3.14 UPnP/1.0 Belkin/1.0'],
      ['ssdp-usn', 'uuid:Socket-1_0-221::upnp:rootdevice'],
      ['ssdp-location', 'http://192.168.4.11:49153/setup.xml'],
    ]);
  });

  it('keeps the most frequent DNS query and SNI names, bounded', () => {
    const inv = new DeviceInventory({ limits: { maxQueryNamesPerDevice: 4, topN: 2 } });
    for (let i = 0; i < 5; i++) inv.observe(dnsQuery(CAMERA, GATEWAY, ['nexus.dropcam.com']));
    for (let i = 0; i < 3; i++) inv.observe(dnsQuery(CAMERA, GATEWAY, ['time.google.com']));
    for (const n of ['a.example', 'b.example', 'c.example', 'd.example'])
      inv.observe(dnsQuery(CAMERA, GATEWAY, [n]));
    for (let i = 0; i < 2; i++) {
      inv.observe(
        packet({
          srcMac: CAMERA,
          dstMac: GATEWAY,
          srcIp: CAMERA_IP,
          dstIp: '34.1.1.1',
          hints: { sni: 'nexus.dropcam.com' },
        }),
      );
    }
    const camera = record(inv, CAMERA);
    expect(camera.names.filter((n) => n.source === 'dns-query').map((n) => [n.name, n.count])).toEqual([
      ['nexus.dropcam.com', 5],
      ['time.google.com', 3],
    ]);
    expect(camera.names.filter((n) => n.source === 'tls-sni').map((n) => [n.name, n.count])).toEqual([
      ['nexus.dropcam.com', 2],
    ]);
    expect(inv.overflow.droppedEntries).toBe(2); // c.example and d.example did not fit
  });

  it('lets a user name win over every learned name', () => {
    const inv = new DeviceInventory();
    inv.observe(
      packet({
        srcMac: PHONE,
        dstMac: GATEWAY,
        hints: { dhcp: dhcpHint({ messageType: 1, clientMac: PHONE, hostname: 'Pixel-6' }) },
      }),
    );
    inv.setUserName('E6-CE-94-C8-64-43', 'Alice’s phone');
    expect(record(inv, PHONE).displayName).toBe('Alice’s phone');
    inv.setUserName(PHONE, null);
    expect(record(inv, PHONE).displayName).toBe('Pixel-6');
    expect(() => {
      inv.setUserName('nope', 'x');
    }).toThrow(/not a MAC/);
  });
});

describe('DeviceInventory: the gateway', () => {
  it('is the MAC behind which public addresses appear, and is not a home device', () => {
    const inv = new DeviceInventory();
    feed(inv, internetTraffic(CAMERA, CAMERA_IP, 10));
    feed(inv, internetTraffic(PLUG, PLUG_IP, 2));
    feed(inv, [packet({ srcMac: PLUG, dstMac: CAMERA, srcIp: PLUG_IP, dstIp: CAMERA_IP })]);
    expect(inv.gatewayMac()).toBe(GATEWAY);
    expect(record(inv, GATEWAY).role).toBe('gateway');
    expect(record(inv, CAMERA).role).toBe('device');
    const snapshot = inv.toJSON();
    expect(snapshot.gatewayMac).toBe(GATEWAY);
    expect(snapshot.homeDeviceCount).toBe(2);
    expect(snapshot.devices).toHaveLength(3);
    expect(JSON.parse(JSON.stringify(inv)) as unknown).toEqual(snapshot);
  });

  it('is found from one public address when its packets from it crossed routers (TTL below any initial value)', () => {
    const exchange = (ttl: number): DecodedPacket[] =>
      internetTraffic(PLUG, PLUG_IP, 1).flatMap((p, i) =>
        [0, 1, 2].map((k) => ({
          ...p,
          ttl: p.srcMac === GATEWAY ? ttl : 64,
          raw: { ...p.raw, ts: p.raw.ts + i + k },
        })),
      );
    const routed = new DeviceInventory();
    feed(routed, exchange(52));
    expect(routed.gatewayMac()).toBe(GATEWAY);
    // at an initial TTL the MAC could be a host holding that public address itself
    const host = new DeviceInventory();
    feed(host, exchange(64));
    expect(host.gatewayMac()).toBeNull();
  });

  it('is found from DHCP alone when there is no internet traffic', () => {
    const inv = new DeviceInventory();
    feed(inv, [
      packet({
        srcMac: GATEWAY,
        dstMac: PLUG,
        srcIp: GW_IP,
        dstIp: PLUG_IP,
        hints: { dhcp: dhcpHint({ messageType: 2, clientMac: PLUG, yourIp: PLUG_IP, router: GW_IP }) },
      }),
      packet({ srcMac: PLUG, dstMac: CAMERA, srcIp: PLUG_IP, dstIp: CAMERA_IP }),
    ]);
    expect(inv.gatewayMac()).toBe(GATEWAY);
  });

  it('prefers the MAC that owns the DHCP router address over a busier forwarder', () => {
    // A second router (mesh node) forwards more public addresses, but DHCP names GW_IP, which the gateway ARPs for.
    const MESH = '00:1b:c5:00:00:01';
    const inv = new DeviceInventory();
    const viaMesh = internetTraffic(CAMERA, CAMERA_IP, 12).map((p) => ({
      ...p,
      srcMac: p.srcMac === GATEWAY ? MESH : p.srcMac,
      dstMac: p.dstMac === GATEWAY ? MESH : p.dstMac,
    }));
    feed(inv, viaMesh);
    feed(inv, internetTraffic(PLUG, PLUG_IP, 6));
    expect(inv.gatewayMac()).toBe(MESH);
    feed(inv, [
      packet({
        srcMac: PLUG,
        dstMac: 'ff:ff:ff:ff:ff:ff',
        hints: { dhcp: dhcpHint({ messageType: 3, clientMac: PLUG }) },
      }),
      packet({
        srcMac: MESH,
        dstMac: PLUG,
        srcIp: '192.168.4.2',
        dstIp: PLUG_IP,
        hints: { dhcp: dhcpHint({ messageType: 5, clientMac: PLUG, yourIp: PLUG_IP, router: GW_IP }) },
      }),
      packet({
        srcMac: GATEWAY,
        dstMac: PLUG,
        arp: { op: 2, senderMac: GATEWAY, senderIp: GW_IP, targetMac: PLUG, targetIp: PLUG_IP },
      }),
    ]);
    expect(inv.gatewayMac()).toBe(GATEWAY);
  });

  it('is nobody without evidence, nor a host with one global address', () => {
    const inv = new DeviceInventory();
    feed(inv, [
      packet({ srcMac: PLUG, dstMac: CAMERA, srcIp: PLUG_IP, dstIp: CAMERA_IP }),
      packet({ srcMac: PLUG, dstMac: GATEWAY, srcIp: '2a02:8108:1:2::10', dstIp: '2607:f8b0::1' }),
    ]);
    expect(inv.gatewayMac()).toBeNull();
    expect(inv.toJSON().homeDeviceCount).toBe(1);
  });
});

describe('DeviceInventory: ground truth', () => {
  it('attaches the labels file’s device and category to each record', () => {
    const gt = GroundTruth.fromCsv(
      `mac,device,category\n${CAMERA},Nest Camera,camera\n${GATEWAY},Raspberry Pi access point,NON-IOT:gateway\n`,
      'labels.csv',
    );
    const inv = new DeviceInventory({ groundTruth: gt });
    feed(inv, internetTraffic(CAMERA, CAMERA_IP, 1));
    inv.observe(packet({ srcMac: PLUG, dstMac: CAMERA }));
    expect(record(inv, CAMERA).label).toEqual({
      device: 'Nest Camera',
      category: 'camera',
      labelIndex: 0,
      infrastructure: false,
      aliases: [],
    });
    expect(record(inv, GATEWAY).label).toMatchObject({
      device: 'Raspberry Pi access point',
      labelIndex: -1,
      infrastructure: true,
    });
    expect(record(inv, PLUG).label).toBeNull();
    inv.setGroundTruth(null);
    expect(record(inv, CAMERA).label).toBeNull();
  });
});

describe('DeviceInventory: bounds', () => {
  it('tracks at most maxDevices and counts the packets of the rest', () => {
    const inv = new DeviceInventory({ limits: { maxDevices: 100 } });
    for (let i = 0; i < 1000; i++) {
      const mac = `02:00:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
      inv.observe(packet({ srcMac: mac, dstMac: 'ff:ff:ff:ff:ff:ff' }));
      inv.observe(packet({ srcMac: mac, dstMac: 'ff:ff:ff:ff:ff:ff' }));
    }
    expect(inv.size).toBe(100);
    expect(inv.overflow.untrackedMacPackets).toBe(1800);
  });

  it('caps remote peers per device and marks the count as a lower bound', () => {
    const inv = new DeviceInventory({ limits: { maxRemotePeersPerDevice: 50 } });
    feed(inv, internetTraffic(CAMERA, CAMERA_IP, 80));
    const camera = record(inv, CAMERA);
    expect(camera.remotePeerCount).toBe(50);
    expect(camera.remotePeersTruncated).toBe(true);
    expect(camera.remotePeers).toHaveLength(10);
  });

  it('caps all names, peers and addresses together', () => {
    const inv = new DeviceInventory({ limits: { maxEntries: 20 } });
    feed(inv, internetTraffic(CAMERA, CAMERA_IP, 100));
    const json = inv.toJSON();
    const kept = json.devices.reduce(
      (n, d) => n + d.remotePeerCount + d.addresses.length + d.localPeerCount + d.names.length,
      0,
    );
    expect(kept).toBeLessThanOrEqual(20);
    expect(json.overflow.droppedEntries).toBeGreaterThan(0);
  });
});
