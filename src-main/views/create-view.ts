/**
 * Makes an observer view by name. Options not meant for the chosen view are ignored.
 */
import { LanView, type LanViewOptions } from './lan-view.ts';
import { NaptView, type NaptViewOptions } from './napt-view.ts';
import type { ObserverView } from './observer-view.ts';
import type { ViewName } from './view-packet.ts';
import { VpnView, type VpnViewOptions } from './vpn-view.ts';

export type ViewOptions = LanViewOptions & NaptViewOptions & VpnViewOptions;

export function createView(name: ViewName, options: ViewOptions = {}): ObserverView {
  switch (name) {
    case 'lan':
      return new LanView(options);
    case 'napt':
      return new NaptView(options);
    case 'vpn':
      return new VpnView(options);
  }
}
