/**
 * Device categories (what kind of device: camera, plug, hub …), shared by the category model
 * (inference/device-category.ts), the engine and the renderer's icons: the model's categories,
 * labels.csv's words for them and IoT Sentinel's devices' kinds.
 */

/** Every category, in the model's output order (the list; "phone/computer" is not IoT). */
export const DEVICE_CATEGORIES = [
  'camera',
  'plug/switch',
  'bulb/light',
  'lock',
  'hub/bridge',
  'sensor',
  'thermostat',
  'sprinkler',
  'vacuum',
  'speaker',
  'appliance',
  'phone/computer',
] as const;
export type DeviceCategory = (typeof DEVICE_CATEGORIES)[number];

/** Fewest packets of a device in a view before any category is given (as the catalog's test). */
export const CATEGORY_MIN_PACKETS = 20;

/** labels.csv categories (MADEA, extras) in the model's words. */
const LABEL_CATEGORY: Readonly<Record<string, DeviceCategory>> = {
  camera: 'camera',
  doorbell: 'camera',
  plug: 'plug/switch',
  switch: 'plug/switch',
  bulb: 'bulb/light',
  light: 'bulb/light',
  lamp: 'bulb/light',
  lock: 'lock',
  hub: 'hub/bridge',
  bridge: 'hub/bridge',
  gateway: 'hub/bridge',
  sensor: 'sensor',
  'smoke-detector': 'sensor',
  thermostat: 'thermostat',
  sprinkler: 'sprinkler',
  'robot-vacuum': 'vacuum',
  vacuum: 'vacuum',
  robot: 'vacuum',
  speaker: 'speaker',
  appliance: 'appliance',
  'non-iot:phone': 'phone/computer',
  'non-iot:computer': 'phone/computer',
  'non-iot:laptop': 'phone/computer',
};

/**
 * IoT Sentinel's labels.csv has no category column: each device's kind from its name (the
 * products in Miettinen et al., ICDCS 2017, table I). D-LinkDoorSensor and HueSwitch share their
 * hub's MAC — what the wire shows is the hub, so they are hubs here. The scales, the kettle and
 * the coffee machine are appliances; the siren is one of D-Link's home-security sensors.
 */
export const IOT_SENTINEL_CATEGORIES: Readonly<Record<string, DeviceCategory>> = {
  Aria: 'appliance',
  'D-LinkCam': 'camera',
  'D-LinkDayCam': 'camera',
  'D-LinkDoorSensor': 'hub/bridge',
  'D-LinkHomeHub': 'hub/bridge',
  'D-LinkSensor': 'sensor',
  'D-LinkSiren': 'sensor',
  'D-LinkSwitch': 'plug/switch',
  'D-LinkWaterSensor': 'sensor',
  EdimaxCam1: 'camera',
  EdimaxCam2: 'camera',
  EdimaxPlug1101W: 'plug/switch',
  EdimaxPlug2101W: 'plug/switch',
  EdnetCam1: 'camera',
  EdnetCam2: 'camera',
  EdnetGateway: 'hub/bridge',
  HomeMaticPlug: 'plug/switch',
  HueBridge: 'hub/bridge',
  HueSwitch: 'hub/bridge',
  Lightify: 'hub/bridge',
  MAXGateway: 'hub/bridge',
  SmarterCoffee: 'appliance',
  'TP-LinkPlugHS100': 'plug/switch',
  'TP-LinkPlugHS110': 'plug/switch',
  WeMoInsightSwitch: 'plug/switch',
  WeMoInsightSwitch2: 'plug/switch',
  WeMoLink: 'hub/bridge',
  WeMoSwitch: 'plug/switch',
  WeMoSwitch2: 'plug/switch',
  Withings: 'appliance',
  iKettle2: 'appliance',
};

/** A labelled device's category: from labels.csv's category, else IoT Sentinel's table; null when neither says. */
export function categoryOfLabel(category: string | null, device: string): DeviceCategory | null {
  const c = category?.trim().toLowerCase() ?? '';
  if (c !== '' && LABEL_CATEGORY[c] !== undefined) return LABEL_CATEGORY[c];
  return IOT_SENTINEL_CATEGORIES[device] ?? null;
}

/**
 * The kind of a device as shown beside it (its icon): its category (the person's, labels.csv's or
 * IoT Sentinel's), else a category word in the name of the catalog class that recognised it
 * ("Nest Camera"), else what the category model says it looks like; null when none says.
 */
export function deviceKind(
  category: string | null,
  device: string,
  looksLike: readonly (string | null | undefined)[] = [],
): DeviceCategory | null {
  const own = categoryOfLabel(category, device);
  if (own !== null) return own;
  for (const word of (category ?? '').toLowerCase().split(/[^a-z-]+/))
    if (word !== '' && LABEL_CATEGORY[word] !== undefined) return LABEL_CATEGORY[word];
  for (const c of looksLike)
    if (c != null && (DEVICE_CATEGORIES as readonly string[]).includes(c)) return c as DeviceCategory;
  return null;
}

/**
 * How a class of the catalog is named to a person: its own name, or, for a class that stands for
 * a firmware platform (manifest `labelPlatforms`), the platform with the class as the example
 * ("Tuya-based device (like HBN Plug / Lumiman Bulb)"): the traffic shows the firmware, not the
 * brand on the box.
 */
export function catalogName(className: string, platform: string | null | undefined): string {
  // undefined: an audit saved before classes carried platforms
  return platform == null ? className : `${platform}-based device (like ${className})`;
}
