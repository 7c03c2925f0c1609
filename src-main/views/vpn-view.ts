/**
 * The VPN view: the home router tunnels everything that would cross it (see router-crossing.ts)
 * to a VPN server, so the carrier sees one UDP flow between the router's public address and the
 * server. Each packet keeps its time and direction; its size becomes the inner IP packet plus the
 * tunnel's overhead and padding (tunnel-profiles.ts) plus outer UDP, IP and Ethernet headers.
 * Only observer-visible fields are set: protocol 17, the tunnel's ports, no TCP flags.
 *
 * The tunnel's own packets are synthesised on the timeline as the stream advances (label
 * LABEL_TUNNEL, no inner packet), from the protocols' timers:
 *
 * * OpenVPN `keepalive 10 60` (the usual server config, pushed to clients): each end sends a
 *   ping when it has sent nothing for 10 s (OpenVPN man page, --ping: "if no packets have been
 *   sent for at least n seconds"; the timer is reset on every send).
 * * WireGuard (whitepaper §6.5, Linux timers.c):
 *   - persistent keepalive (default 25 s, set on the home side): a keepalive when no
 *     authenticated packet went either way for 25 s;
 *   - passive keepalive: a side that received data and sent nothing for KEEPALIVE_TIMEOUT = 10 s
 *     sends a keepalive;
 *   - rekeying (§6.2): after the session's initiator sends a transport packet on a session
 *     REKEY_AFTER_TIME = 120 s old, or receives one on a session 165 s old
 *     (REJECT_AFTER_TIME − KEEPALIVE_TIMEOUT − REKEY_TIMEOUT), it sends a handshake initiation
 *     (148 bytes); the response (92 bytes) follows one round trip later, and the initiator then
 *     confirms the new session at once with a keepalive (receive.c, after a response). A packet
 *     sent on a session older than REJECT_AFTER_TIME = 180 s first needs a fresh handshake, begun
 *     by its sender.
 *
 * The tunnel is taken to be up when the first packet arrives (no initial handshake); timers stop
 * at the end of the input. Not modelled: OpenVPN's hourly TLS renegotiation on the control
 * channel, packet loss and retransmitted handshakes, fragmentation by the tunnel's MTU.
 */
import type { DecodedPacket } from '../decode/decoded-packet.ts';
import {
  Crossing,
  RouterCrossing,
  type CrossingStats,
  type RouterCrossingOptions,
} from './router-crossing.ts';
import { emptyViewStats, type EmitViewPacket, type ObserverView, type ViewStats } from './observer-view.ts';
import { SeededRandom } from './seeded-random.ts';
import {
  DEFAULT_TUNNEL_PROFILE,
  OPENVPN_PING_LENGTH,
  tunnelProfile,
  WIREGUARD_DEFAULT_MTU,
  WIREGUARD_HANDSHAKE_INITIATION,
  WIREGUARD_HANDSHAKE_RESPONSE,
  type TunnelProfile,
  type TunnelProfileName,
} from './tunnel-profiles.ts';
import { LABEL_TUNNEL } from '../devices/ground-truth.ts';
import { Direction, type ViewPacket } from './view-packet.ts';
import { ETHERNET_HEADER_LENGTH, ipPacketLength } from './wire-size.ts';

export interface VpnViewOptions extends RouterCrossingOptions {
  /** Tunnel and cipher (default openvpn-aes-256-gcm). */
  profile?: TunnelProfileName;
  /** OpenVPN --ping interval in seconds (default 10, from `keepalive 10 60`). */
  openvpnPingS?: number;
  /** WireGuard PersistentKeepalive on the home side in seconds (default 25; 0 turns it off). */
  wireguardPersistentKeepaliveS?: number;
  /** WireGuard tunnel MTU (default 1420). */
  wireguardMtu?: number;
  /** Round trip to the VPN server, for handshake responses (default 0.03 s). */
  roundTripS?: number;
  /** IP version of the outer (tunnel) packets (default 4). */
  outerIpVersion?: 4 | 6;
  /** The router's UDP source port; default: drawn from 49152–65535 with `seed`. */
  clientPort?: number;
  /** Seed for the client port (default 1). */
  seed?: number;
}

export interface VpnViewStats extends ViewStats {
  keepalives: number;
  handshakeInitiations: number;
  handshakeResponses: number;
  crossing: CrossingStats;
}

const UDP_HEADER = 8;
const IPV4_HEADER = 20;
const IPV6_HEADER = 40;

/** WireGuard timers (whitepaper §6.1, Linux messages.h). */
const REKEY_AFTER_TIME = 120;
const REJECT_AFTER_TIME = 180;
const KEEPALIVE_TIMEOUT = 10;
const REKEY_TIMEOUT = 5;
const REKEY_ON_RECEIVE_AGE = REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT;

/** Timer slots on the tunnel's timeline; due times live in `due`, Infinity when unset. */
const Slot = {
  /** OpenVPN client ping, or WireGuard persistent keepalive (home side). */
  KEEPALIVE_UP: 0,
  /** OpenVPN server ping. */
  KEEPALIVE_DOWN: 1,
  /** WireGuard passive keepalive of the home side / the server. */
  PASSIVE_UP: 2,
  PASSIVE_DOWN: 3,
  /** WireGuard handshake response, and the initiator's confirming keepalive. */
  RESPONSE: 4,
  CONFIRM: 5,
} as const;
const SLOT_COUNT = 6;

/** What the tunnel sends. */
const Sent = { DATA: 0, KEEPALIVE: 1, INITIATION: 2, RESPONSE: 3 } as const;
type Sent = (typeof Sent)[keyof typeof Sent];

const UP = Direction.UP;
const DOWN = Direction.DOWN;
type TunnelDirection = typeof UP | typeof DOWN;

export class VpnView implements ObserverView {
  readonly name = 'vpn' as const;
  readonly profile: TunnelProfile;
  readonly clientPort: number;
  private crossing: RouterCrossing;
  private readonly counters = emptyViewStats();
  private keepalives = 0;
  private initiations = 0;
  private responses = 0;

  private readonly outerOverhead: number;
  private readonly pingS: number;
  private readonly persistentS: number;
  private readonly roundTripS: number;
  private readonly due = new Float64Array(SLOT_COUNT);
  private started = false;
  /** Direction of whoever began the current WireGuard session, its start, and the handshake under way. */
  private sessionInitiator: TunnelDirection = UP;
  private sessionStart = 0;
  private handshakeInitiator: TunnelDirection | -1 = -1;

  constructor(private readonly options: VpnViewOptions = {}) {
    this.profile = tunnelProfile(
      options.profile ?? DEFAULT_TUNNEL_PROFILE,
      options.wireguardMtu ?? WIREGUARD_DEFAULT_MTU,
    );
    this.crossing = new RouterCrossing(options);
    this.outerOverhead =
      UDP_HEADER + (options.outerIpVersion === 6 ? IPV6_HEADER : IPV4_HEADER) + ETHERNET_HEADER_LENGTH;
    this.pingS = positive(options.openvpnPingS ?? 10, 'openvpnPingS');
    const persistent = options.wireguardPersistentKeepaliveS ?? 25;
    this.persistentS = persistent === 0 ? Infinity : positive(persistent, 'wireguardPersistentKeepaliveS');
    this.roundTripS = Math.max(0, options.roundTripS ?? 0.03);
    this.clientPort = options.clientPort ?? 49152 + new SeededRandom(options.seed ?? 1).nextInt(16384);
    this.due.fill(Infinity);
  }

  get stats(): VpnViewStats {
    return {
      ...this.counters,
      keepalives: this.keepalives,
      handshakeInitiations: this.initiations,
      handshakeResponses: this.responses,
      crossing: { ...this.crossing.stats },
    };
  }

  /**
   * Frame sizes of the tunnel's own messages (keepalives; WireGuard's handshakes): sizes no data
   * packet has (with a CBC cipher, none of 40 bytes or more: smaller than any TCP segment), which
   * is how an observer tells them from traffic without decrypting anything.
   */
  controlFrameSizes(): number[] {
    if (this.profile.family === 'openvpn')
      return [this.frameLength(this.profile.udpPayloadLength(OPENVPN_PING_LENGTH))];
    return [
      this.frameLength(this.profile.udpPayloadLength(0)),
      this.frameLength(WIREGUARD_HANDSHAKE_INITIATION),
      this.frameLength(WIREGUARD_HANDSHAKE_RESPONSE),
    ];
  }

  /** Outer frame length of a tunnel packet with this UDP payload. */
  frameLength(udpPayload: number): number {
    return udpPayload + this.outerOverhead;
  }

  push(
    pkt: DecodedPacket,
    label: number,
    fileIndex: number,
    packetIndex: number,
    emit: EmitViewPacket,
  ): void {
    this.counters.packetsIn++;
    const crossing = this.crossing.classify(pkt);
    if (crossing === Crossing.LOCAL) {
      this.counters.packetsHidden++;
      return;
    }
    const dir: TunnelDirection = crossing === Crossing.UP || crossing === Crossing.UP_NAT ? UP : DOWN;
    const ts = pkt.raw.ts;
    if (!this.started) this.start(ts);
    this.advanceTo(ts, emit);
    const wireguard = this.profile.family === 'wireguard';
    if (wireguard && ts - this.sessionStart >= REJECT_AFTER_TIME && this.handshakeInitiator === -1) {
      this.initiate(dir, ts, emit);
    }
    const size = this.frameLength(this.profile.udpPayloadLength(ipPacketLength(pkt)));
    this.emitPacket(ts, size, dir, label, fileIndex, packetIndex, pkt, emit);
    this.afterSend(dir, Sent.DATA, ts, emit);
  }

  flush(emit: EmitViewPacket): void {
    // A handshake already under way completes; periodic timers end with the input.
    for (const slot of [Slot.RESPONSE, Slot.CONFIRM] as const) {
      const at = this.due[slot];
      if (at !== Infinity) this.fire(slot, at, emit);
    }
  }

  reset(): void {
    this.crossing = new RouterCrossing(this.options);
    Object.assign(this.counters, emptyViewStats());
    this.keepalives = 0;
    this.initiations = 0;
    this.responses = 0;
    this.due.fill(Infinity);
    this.started = false;
    this.handshakeInitiator = -1;
  }

  /** The tunnel is up at the first packet: both ends count as having just sent. */
  private start(ts: number): void {
    this.started = true;
    this.sessionInitiator = UP;
    this.sessionStart = ts;
    if (this.profile.family === 'openvpn') {
      this.due[Slot.KEEPALIVE_UP] = ts + this.pingS;
      this.due[Slot.KEEPALIVE_DOWN] = ts + this.pingS;
    } else {
      this.due[Slot.KEEPALIVE_UP] = ts + this.persistentS;
    }
  }

  /** Fires, in time order, every timer due strictly before `ts`. */
  private advanceTo(ts: number, emit: EmitViewPacket): void {
    const due = this.due;
    while (true) {
      let slot = -1;
      let at = ts;
      for (let i = 0; i < SLOT_COUNT; i++) {
        if (due[i] < at) {
          at = due[i];
          slot = i;
        }
      }
      if (slot < 0) return;
      this.fire(slot, at, emit);
    }
  }

  private fire(slot: number, at: number, emit: EmitViewPacket): void {
    this.due[slot] = Infinity;
    switch (slot) {
      case Slot.KEEPALIVE_UP:
      case Slot.PASSIVE_UP:
      case Slot.CONFIRM:
        this.sendKeepalive(UP, at, emit);
        return;
      case Slot.KEEPALIVE_DOWN:
      case Slot.PASSIVE_DOWN:
        this.sendKeepalive(DOWN, at, emit);
        return;
      case Slot.RESPONSE: {
        const responder: TunnelDirection = this.handshakeInitiator === UP ? DOWN : UP;
        this.responses++;
        this.emitSynthetic(at, this.frameLength(WIREGUARD_HANDSHAKE_RESPONSE), responder, emit);
        this.afterSend(responder, Sent.RESPONSE, at, emit);
        return;
      }
    }
  }

  private sendKeepalive(dir: TunnelDirection, at: number, emit: EmitViewPacket): void {
    const payload =
      this.profile.family === 'openvpn'
        ? this.profile.udpPayloadLength(OPENVPN_PING_LENGTH)
        : this.profile.udpPayloadLength(0);
    this.keepalives++;
    this.emitSynthetic(at, this.frameLength(payload), dir, emit);
    this.afterSend(dir, Sent.KEEPALIVE, at, emit);
  }

  private initiate(dir: TunnelDirection, at: number, emit: EmitViewPacket): void {
    this.handshakeInitiator = dir;
    this.initiations++;
    this.emitSynthetic(at, this.frameLength(WIREGUARD_HANDSHAKE_INITIATION), dir, emit);
    this.afterSend(dir, Sent.INITIATION, at, emit);
    this.due[Slot.RESPONSE] = at + this.roundTripS;
  }

  /** Updates the timers after the tunnel sent something in `dir` at `at`. */
  private afterSend(dir: TunnelDirection, sent: Sent, at: number, emit: EmitViewPacket): void {
    if (this.profile.family === 'openvpn') {
      // --ping: a ping only after `pingS` seconds without sending.
      this.due[dir === UP ? Slot.KEEPALIVE_UP : Slot.KEEPALIVE_DOWN] = at + this.pingS;
      return;
    }
    // Any authenticated packet either way restarts the persistent keepalive (timers.c
    // wg_timers_any_authenticated_packet_traversal); the sender's own passive keepalive is
    // cancelled by its send (…_packet_sent); data (not keepalives) arms the receiver's.
    this.due[Slot.KEEPALIVE_UP] = at + this.persistentS;
    const senderPassive = dir === UP ? Slot.PASSIVE_UP : Slot.PASSIVE_DOWN;
    const receiverPassive = dir === UP ? Slot.PASSIVE_DOWN : Slot.PASSIVE_UP;
    this.due[senderPassive] = Infinity;
    if (sent === Sent.DATA && this.due[receiverPassive] === Infinity) {
      this.due[receiverPassive] = at + KEEPALIVE_TIMEOUT;
    }
    if (sent === Sent.RESPONSE) {
      // The initiator derives the new session and confirms it at once (receive.c).
      this.sessionInitiator = this.handshakeInitiator === -1 ? UP : this.handshakeInitiator;
      this.sessionStart = at;
      this.handshakeInitiator = -1;
      this.due[Slot.CONFIRM] = at;
      if (this.sessionInitiator === DOWN) {
        // The confirmation goes the other way; only the home side's keepalive has its own slot.
        this.due[Slot.CONFIRM] = Infinity;
        this.sendKeepalive(DOWN, at, emit);
      }
      return;
    }
    if (this.handshakeInitiator !== -1) return;
    const age = at - this.sessionStart;
    if (
      (sent === Sent.DATA || sent === Sent.KEEPALIVE) &&
      dir === this.sessionInitiator &&
      age >= REKEY_AFTER_TIME
    ) {
      this.initiate(dir, at, emit);
    } else if (sent === Sent.DATA && dir !== this.sessionInitiator && age >= REKEY_ON_RECEIVE_AGE) {
      this.initiate(this.sessionInitiator, at, emit);
    }
  }

  private emitSynthetic(at: number, size: number, dir: TunnelDirection, emit: EmitViewPacket): void {
    this.counters.packetsSynthesised++;
    this.emitPacket(at, size, dir, LABEL_TUNNEL, -1, -1, null, emit);
  }

  private emitPacket(
    ts: number,
    size: number,
    direction: TunnelDirection,
    label: number,
    fileIndex: number,
    packetIndex: number,
    inner: DecodedPacket | null,
    emit: EmitViewPacket,
  ): void {
    const vp: ViewPacket = {
      ts,
      size,
      direction,
      ipProto: 17,
      localPort: this.clientPort,
      remotePort: this.profile.serverPort,
      tcpFlags: 0,
      label,
      fileIndex,
      packetIndex,
      inner,
    };
    this.counters.packetsOut++;
    emit(vp);
  }
}

function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value))
    throw new RangeError(`${name} must be a positive number of seconds`);
  return value;
}
