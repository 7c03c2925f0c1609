/**
 * Plain snapshot types of the device inventory: what `DeviceInventory.devices()` and `toJSON()`
 * return. No behaviour here, so the UI contract and reports can import them freely.
 */

/** Where a name of a device came from. */
export type NameSource =
  | 'user' // set by the person using Telltale
  | 'dhcp-hostname' // DHCP option 12 (RFC 2132 §3.14)
  | 'dhcp-vendor-class' // DHCP option 60 (RFC 2132 §9.13)
  | 'mdns-instance' // DNS-SD service instance name the device announces (RFC 6763 §4.1)
  | 'mdns-host' // host name of the device's own A / AAAA / SRV target (RFC 6762)
  | 'ssdp-server' // SSDP SERVER header (UPnP Device Architecture 2.0 §1.1.2)
  | 'ssdp-usn' // SSDP USN header
  | 'ssdp-location' // SSDP LOCATION header (URL of the device description)
  | 'dns-query' // names the device looks up
  | 'tls-sni'; // TLS ClientHello server_name (RFC 6066 §3)

export const NAME_SOURCES: readonly NameSource[] = [
  'user',
  'dhcp-hostname',
  'dhcp-vendor-class',
  'mdns-instance',
  'mdns-host',
  'ssdp-server',
  'ssdp-usn',
  'ssdp-location',
  'dns-query',
  'tls-sni',
];

export interface DeviceName {
  source: NameSource;
  name: string;
  /** Packets that carried it. */
  count: number;
  firstSeen: number;
  lastSeen: number;
}

/** How an address was first learned for the device. */
export type AddressSource = 'ip-source' | 'dhcp-ack' | 'arp';

export interface DeviceAddress {
  address: string;
  version: 4 | 6;
  source: AddressSource;
  firstSeen: number;
  lastSeen: number;
}

export interface LocalPeer {
  mac: string;
  /** Packets and bytes exchanged with the peer, both directions. */
  packets: number;
  bytes: number;
}

export interface RemotePeer {
  address: string;
  packets: number;
  bytes: number;
}

export type DeviceRole = 'device' | 'gateway';

/** The ground-truth row for a device's MAC, when labels were given. */
export interface DeviceLabel {
  device: string;
  category: string;
  /** Index into GroundTruth.labels; LABEL_NONE (-1) for infrastructure rows. */
  labelIndex: number;
  infrastructure: boolean;
  aliases: string[];
}

export interface DeviceRecord {
  mac: string;
  /** IEEE registry assignee of the MAC's block; null when unknown or locally administered. */
  vendor: string | null;
  /** The U/L bit is set: a randomised / locally administered MAC, no vendor. */
  locallyAdministered: boolean;
  /** What to show for the maker: vendor, the locally-administered note, or "unknown vendor". */
  vendorText: string;
  role: DeviceRole;
  /** Best name to show (user name, DHCP host name, mDNS name, vendor, …, MAC). */
  displayName: string;
  /** Names by source; DNS query and SNI names are the most frequent few. */
  names: DeviceName[];
  /** Addresses the device used or was given, most recently seen first. */
  addresses: DeviceAddress[];
  firstSeen: number;
  lastSeen: number;
  packetsSent: number;
  packetsReceived: number;
  /** Sums of origLen. */
  bytesSent: number;
  bytesReceived: number;
  /** Other LAN devices it exchanged unicast traffic with, most packets first (bounded). */
  localPeers: LocalPeer[];
  localPeerCount: number;
  /** Distinct public IP addresses it exchanged packets with (exact unless `remotePeersTruncated`). */
  remotePeerCount: number;
  /** True when more distinct remote peers appeared than the inventory tracks: the count is a lower bound. */
  remotePeersTruncated: boolean;
  /** The most frequent remote peers, most packets first. */
  remotePeers: RemotePeer[];
  /** Ground truth for this MAC, or null when no labels were given or the MAC is not in them. */
  label: DeviceLabel | null;
}

/** What the inventory could not keep, so a hostile or huge capture is visible rather than silent. */
export interface InventoryOverflow {
  /** Packets whose (new) source or destination MAC was not tracked because the device table was full. */
  untrackedMacPackets: number;
  /** Names, peers and addresses not kept because a per-device or global cap was reached. */
  droppedEntries: number;
}

export interface InventorySnapshot {
  devices: DeviceRecord[];
  gatewayMac: string | null;
  /** Devices other than the gateway that sent at least one packet. */
  homeDeviceCount: number;
  packets: number;
  overflow: InventoryOverflow;
}
