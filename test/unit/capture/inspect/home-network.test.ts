import { describe, expect, it } from 'vitest';
import {
  defaultGateway,
  homeNetwork,
  onSubnet,
  sweepTargets,
  type NetworkFacts,
} from '../../../../src-main/capture/inspect/home-network.ts';

// /proc/net/route as Linux writes it: addresses in little-endian hex
const ROUTES = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
docker0\t00000000\t010011AC\t0003\t0\t0\t100\t00000000\t0\t0\t0
wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0
wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
`;

function facts(over: Partial<NetworkFacts> = {}): NetworkFacts {
  return {
    platform: 'linux',
    interfaces: {
      wlan0: [
        {
          address: '192.168.1.50',
          netmask: '255.255.255.0',
          family: 'IPv4',
          mac: 'AA:BB:CC:00:00:50',
          internal: false,
          cidr: '192.168.1.50/24',
        },
      ],
      wg0: [
        {
          address: '10.8.0.2',
          netmask: '255.255.255.0',
          family: 'IPv4',
          mac: '00:00:00:00:00:00',
          internal: false,
          cidr: '10.8.0.2/24',
        },
      ],
    },
    routeTable: () => ROUTES,
    ...over,
  };
}

describe('the home network', () => {
  it("reads the interface's default gateway from the route table", () => {
    expect(defaultGateway(ROUTES, 'wlan0')).toBe('192.168.1.1');
    expect(defaultGateway(ROUTES, 'docker0')).toBe('172.17.0.1');
    expect(defaultGateway(ROUTES, 'eth0')).toBeNull();
  });

  it('knows this computer, the subnet and the router', () => {
    expect(homeNetwork('wlan0', facts())).toEqual({
      iface: 'wlan0',
      self: { mac: 'aa:bb:cc:00:00:50', ip: '192.168.1.50' },
      prefix: 24,
      gatewayIp: '192.168.1.1',
    });
  });

  it('says why it cannot work: another system, no such interface, no address, a tunnel', () => {
    expect(() => homeNetwork('wlan0', facts({ platform: 'darwin' }))).toThrow(
      /Linux for now.*router over SSH/,
    );
    expect(() => homeNetwork('eth9', facts())).toThrow(/no interface "eth9"/);
    expect(() => homeNetwork('wlan0', facts({ interfaces: { wlan0: [] } }))).toThrow(/no IPv4 address/);
    expect(() => homeNetwork('wg0', facts())).toThrow(/no MAC address/);
  });

  it('sweeps every host address of the subnet but this computer, and no subnet wider than /20', () => {
    const net = { self: { ip: '192.168.1.50', mac: '' }, prefix: 24 };
    const targets = sweepTargets(net);
    expect(targets).toHaveLength(253);
    expect(targets).not.toContain('192.168.1.50');
    expect([(targets as string[])[0], (targets as string[]).at(-1)]).toEqual([
      '192.168.1.1',
      '192.168.1.254',
    ]);
    expect(sweepTargets({ ...net, prefix: 20 })).toHaveLength(4093);
    expect(sweepTargets({ ...net, prefix: 16 })).toMatch(/wider than \/20.*as they talk/);
    expect(onSubnet(net, '192.168.1.200')).toBe(true);
    expect(onSubnet(net, '192.168.2.1')).toBe(false);
  });
});
