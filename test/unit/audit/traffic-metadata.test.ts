import { describe, expect, it } from 'vitest';
import { IpProto } from '../../../src-main/decode/decoded-packet.ts';
import { TrafficMetadata } from '../../../src-main/audit/traffic-metadata.ts';
import { packet } from '../devices/packet-factory.ts';

const PLUG = '7c:f6:66:1f:a8:b6';
const ROUTER = 'dc:a6:32:ce:31:63';

describe('TrafficMetadata', () => {
  it('counts what each device exchanges with the internet, by service, in both directions', () => {
    const m = new TrafficMetadata();
    const out = {
      srcMac: PLUG,
      dstMac: ROUTER,
      srcIp: '192.168.4.20',
      dstIp: '54.148.153.241',
      proto: IpProto.TCP,
    };
    m.observe(packet({ ...out, srcPort: 40000, dstPort: 443, len: 200 }));
    m.observe(
      packet({
        srcMac: ROUTER,
        dstMac: PLUG,
        srcIp: '54.148.153.241',
        dstIp: '192.168.4.20',
        proto: IpProto.TCP,
        srcPort: 443,
        dstPort: 40000,
        len: 100,
      }),
    );
    m.observe(packet({ ...out, proto: IpProto.UDP, srcPort: 123, dstPort: 123, len: 90 }));
    const [d] = m.devicesMetadata();
    expect(d.mac).toBe(PLUG);
    expect([d.internetPackets, d.internetBytes]).toEqual([3, 390]);
    expect(d.services).toEqual([
      { service: 'tcp/443', packets: 2, bytes: 300 },
      { service: 'udp/123', packets: 1, bytes: 90 },
    ]);
    expect(d.clearText).toEqual({});
  });

  it('notes clear-text protocols and DNS that leaves the home unencrypted, but not local traffic', () => {
    const m = new TrafficMetadata();
    const base = { srcMac: PLUG, dstMac: ROUTER, srcIp: '192.168.4.20' };
    m.observe(packet({ ...base, dstIp: '93.184.216.34', proto: IpProto.TCP, srcPort: 40001, dstPort: 80 }));
    m.observe(packet({ ...base, dstIp: '18.194.1.2', proto: IpProto.TCP, srcPort: 40002, dstPort: 1883 }));
    m.observe(packet({ ...base, dstIp: '8.8.8.8', proto: IpProto.UDP, srcPort: 5000, dstPort: 53 }));
    m.observe(packet({ ...base, dstIp: '192.168.4.1', proto: IpProto.UDP, srcPort: 5001, dstPort: 53 }));
    m.observe(packet({ ...base, dstIp: '1.1.1.1', proto: IpProto.TCP, srcPort: 40003, dstPort: 853 }));
    // a reply from the resolver is not a query; traffic between two home devices is not internet traffic
    m.observe(
      packet({
        srcMac: ROUTER,
        dstMac: PLUG,
        srcIp: '8.8.8.8',
        dstIp: '192.168.4.20',
        proto: IpProto.UDP,
        srcPort: 53,
        dstPort: 5000,
        hints: { dns: { id: 1, response: true, questions: ['a.example'], answers: [] } },
      }),
    );
    m.observe(packet({ ...base, dstIp: '192.168.4.30', proto: IpProto.TCP, srcPort: 40004, dstPort: 80 }));
    const [d] = m.devicesMetadata();
    expect(d.clearText).toEqual({ http: 1, mqtt: 1 });
    expect([d.dnsQueriesPublic, d.dnsQueriesLocal, d.dnsOverTls]).toEqual([1, 1, 1]);
    expect(d.internetPackets).toBe(5);
  });

  it("counts a device's internet traffic per site: named by the home's DNS answers, then by TLS server names", () => {
    const m = new TrafficMetadata();
    const up = (dstIp: string, len: number, sni?: string) => {
      m.observe(
        packet({
          srcMac: PLUG,
          dstMac: ROUTER,
          srcIp: '192.168.4.20',
          dstIp,
          proto: IpProto.TCP,
          srcPort: 40000,
          dstPort: 443,
          len,
          ...(sni === undefined ? {} : { hints: { sni } }),
        }),
      );
    };
    // before any name is known the address is unnamed
    up('52.1.1.1', 100);
    // the router's DNS answer for the plug: a1.tuyaus.com is 52.1.1.1 (a CNAME's own name is not asked for)
    m.observe(
      packet({
        srcMac: ROUTER,
        dstMac: PLUG,
        srcIp: '192.168.4.1',
        dstIp: '192.168.4.20',
        proto: IpProto.UDP,
        srcPort: 53,
        dstPort: 5000,
        hints: {
          dns: {
            id: 7,
            response: true,
            questions: ['a1.tuyaus.com'],
            answers: [
              { name: 'a1.tuyaus.com', type: 5, data: 'edge.awsglobal.com' },
              { name: 'edge.awsglobal.com', type: 1, data: '52.1.1.1' },
              { name: 'edge.awsglobal.com', type: 1, data: '10.0.0.9' },
            ],
          },
        },
      }),
    );
    up('52.1.1.1', 200);
    up('52.1.1.1', 300);
    // a TLS server name names its address, over any DNS answer; a reverse lookup is no site
    up('34.2.2.2', 400, 'time.google.com');
    up('34.2.2.2', 50);
    up('8.8.4.4', 60, '4.4.8.8.in-addr.arpa');
    const [d] = m.devicesMetadata();
    expect(d.sites).toEqual([
      { site: 'tuyaus.com', packets: 2, bytes: 500 },
      { site: 'google.com', packets: 2, bytes: 450 },
      { site: null, packets: 2, bytes: 160 },
    ]);
  });

  it('takes no broadcast or multicast address for a device', () => {
    const m = new TrafficMetadata();
    m.observe(
      packet({
        srcMac: 'ff:ff:ff:ff:ff:ff',
        dstMac: ROUTER,
        srcIp: '192.168.4.2',
        dstIp: '1.2.3.4',
        proto: IpProto.UDP,
        srcPort: 1,
        dstPort: 2,
      }),
    );
    m.observe(
      packet({
        srcMac: ROUTER,
        dstMac: '01:00:5e:00:00:fb',
        srcIp: '1.2.3.4',
        dstIp: '192.168.4.2',
        proto: IpProto.UDP,
        srcPort: 1,
        dstPort: 2,
      }),
    );
    expect(m.devicesMetadata()).toEqual([]);
  });
});
