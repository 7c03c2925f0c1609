/**
 * Redirection by ARP, paced: tells each chosen device that the router is at this computer's MAC
 * and the router that each device is, so their traffic to each other passes through this
 * computer (which forwards it on). Rate-limited, unlike naive spoofers that flood: one pair of
 * announcements per device every `intervalMs`, plus an immediate answer (at most one per
 * `answerGapMs`) when a device or the router asks for the other's address — the moment a cache
 * would otherwise fall back. Stopping tells everyone the truth again.
 */
import { announce, ARP_REQUEST, parseArpFrame } from './arp-frame.ts';
import { restoreFrames, sendRounds, type Host } from './restore-record.ts';

export interface FrameLink {
  send(frame: Uint8Array): void;
  close(): void;
}

/** Opens the interface: every ARP frame seen goes to `onFrame`. */
export type OpenFrameLink = (filter: string, onFrame: (frame: Uint8Array) => void) => FrameLink;

export interface RedirectorOptions {
  /** Milliseconds between two rounds of announcements (default 2000). */
  intervalMs?: number;
  /** Least milliseconds between two answers to the same host's requests (default 200). */
  answerGapMs?: number;
}

export class ArpRedirector {
  /** Announcements sent (rounds and answers). */
  sent = 0;
  /** Requests answered at once. */
  answered = 0;
  private link: FrameLink | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly lastAnswer = new Map<string, number>();
  private readonly byMac: Map<string, Host>;
  private readonly intervalMs: number;
  private readonly answerGapMs: number;

  constructor(
    private readonly self: Host,
    private readonly gateway: Host,
    private readonly devices: readonly Host[],
    options: RedirectorOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 2000;
    this.answerGapMs = options.answerGapMs ?? 200;
    this.byMac = new Map(devices.map((d) => [d.mac, d]));
  }

  /** Starts redirecting; throws when the interface cannot be opened. */
  start(open: OpenFrameLink): void {
    if (this.link !== null) return;
    this.link = open('arp', (frame) => {
      this.onArp(frame);
    });
    this.round();
    this.timer = setInterval(() => {
      this.round();
    }, this.intervalMs);
  }

  /** "The router is at this computer" to `d`, and "`d` is at this computer" to the router. */
  private poison(d: Host, toDevice: boolean, toGateway: boolean): void {
    const link = this.link;
    if (link === null) return;
    if (toDevice) link.send(announce(this.gateway.ip, this.self.mac, this.self.mac, d));
    if (toGateway) link.send(announce(d.ip, this.self.mac, this.self.mac, this.gateway));
    this.sent += Number(toDevice) + Number(toGateway);
  }

  private round(): void {
    try {
      for (const d of this.devices) this.poison(d, true, true);
    } catch {
      // the interface went away; the session notices from the capture
    }
  }

  private onArp(frame: Uint8Array): void {
    const m = parseArpFrame(frame);
    if (m === null || m.op !== ARP_REQUEST || m.senderMac === this.self.mac) return;
    const now = Date.now();
    const due = (key: string): boolean => {
      if (now - (this.lastAnswer.get(key) ?? 0) < this.answerGapMs) return false;
      this.lastAnswer.set(key, now);
      return true;
    };
    try {
      const device = this.byMac.get(m.senderMac);
      if (device !== undefined && m.targetIp === this.gateway.ip && due(device.mac)) {
        this.poison(device, true, false);
        this.answered++;
      } else if (m.senderMac === this.gateway.mac) {
        const asked = this.devices.find((d) => d.ip === m.targetIp);
        if (asked !== undefined && due(`gw ${asked.mac}`)) {
          this.poison(asked, false, true);
          this.answered++;
        }
      }
    } catch {
      // as in round()
    }
  }

  /** Stops redirecting and tells every host its true neighbours again; resolves when the last round is sent. */
  async stop(): Promise<string[]> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const link = this.link;
    this.link = null;
    if (link === null) return [];
    const problems = await sendRounds(
      restoreFrames({ selfMac: this.self.mac, gateway: this.gateway, devices: this.devices }),
      (f) => {
        link.send(f);
      },
    );
    link.close();
    return problems;
  }
}
