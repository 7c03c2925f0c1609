/** Every user-facing string of the UI, in one place. */
import { categoryWords } from '../../src-main/shared/audit-types.ts';
import { refusalsText } from '../../src-main/shared/device-verdict.ts';
import type {
  ActivityState,
  ObserverView,
  SessionStatus,
  Severity,
} from '../../src-main/shared/ipc-contract.ts';

export const S = {
  appName: 'Telltale',
  tagline: 'What your ISP or VPN can still learn about your home',
  nav: {
    home: 'Home',
    capture: 'Capture',
    devices: 'Devices',
    findings: 'Findings',
    settings: 'Settings',
  },
  observer: {
    napt: 'Your ISP',
    vpn: 'VPN carrier',
  } satisfies Record<ObserverView, string>,
  observerLong: {
    napt: 'your ISP, behind your home router (NAT)',
    vpn: 'whoever carries your VPN tunnel',
  } satisfies Record<ObserverView, string>,
  state: {
    asleep: 'asleep',
    idle: 'idle',
    busy: 'busy',
  } satisfies Record<ActivityState, string>,
  severity: {
    high: 'High',
    medium: 'Medium',
    low: 'Low',
    info: 'Info',
  } satisfies Record<Severity, string>,
  status: {
    idle: 'No capture yet',
    replaying: 'Replaying',
    capturing: 'Capturing',
    paused: 'Paused',
    analysing: 'Identifying devices as each observer would…',
    done: 'Done',
    stopped: 'Stopped',
    error: 'Failed',
    defences: 'Trying defences',
  } satisfies Record<SessionStatus | 'defences', string>,
  whatIfsPending: (stage: string) => `Working out what defences would change (${stage})…`,
  connection: {
    connecting: 'Connecting to the Telltale engine…',
    lost: 'The connection to the engine was lost. Reconnecting…',
    restarting: 'The engine stopped unexpectedly and is restarting; your session will be reopened.',
    failed: (why: string | null) =>
      `The engine keeps stopping and Telltale gave up restarting it${why === null ? '.' : `: ${why}`}`,
    dismiss: 'Dismiss',
  },
  home: {
    cutOff: 'Refused:',
    title: 'Your home at a glance',
    empty: 'Open a capture file or start a live capture to see what an outsider can learn about your home.',
    openCapture: 'Open a capture',
    trySample: 'Try a sample capture',
    yourDevices: 'Your devices: what an outsider learns, and what helps',
    alsoSeen: 'Also on your network, not counted:',
    talksTo: 'Who your devices talk to',
    talksToWhy:
      "Your ISP sees these names and how much goes to each; a VPN hides them from it (the VPN provider sees them instead). A site is a name's registered domain: one company may run several, and a cloud host such as amazonaws.com carries many companies' services.",
    site: 'Site',
    siteData: 'Data',
    siteDevices: 'Devices',
    unnamedSite: 'addresses never looked up by name',
    kindUnknown: 'kind not known',
    wholeHomeTitle: 'How to capture your whole home',
    wholeHomeWhy:
      "On Wi-Fi or a switched network this computer sees only its own traffic, not your camera's or your plugs'. To audit the whole home, capture where all of it passes:",
    wholeHomeWays: [
      {
        title: 'On your router.',
        how: 'If it runs OpenWrt or another Linux, record its home-side interface for a day and open the file here:',
        command: 'ssh root@192.168.1.1 tcpdump -i br-lan -w - > home.pcap',
      },
      {
        title: 'From this computer, for chosen devices.',
        how: 'Capture ▸ Inspect devices on this network: this computer passes their traffic on to the router while it looks (Linux, with your consent).',
        command: null,
      },
      {
        title: 'On a mirror port.',
        how: "A managed switch can copy the router port's traffic to the port this computer is on; then use Live capture on that interface.",
        command: null,
      },
      {
        title: 'This computer as the access point.',
        how: 'Share its connection as a Wi-Fi hotspot, join your devices to it, and capture on the hotspot interface.',
        command: null,
      },
    ] as { title: string; how: string; command: string | null }[],
    wholeHomeLabels:
      'Researchers: choose a labels file (mac,device,category) with the captures to score the observers against the true devices.',
    devicesFound: 'smart-home devices found',
    otherDevices: (n: number) =>
      `and ${n} other ${n === 1 ? 'device' : 'devices'} (phones, computers, the router)`,
    /** The in-home observer: devices it names right for most of their traffic. */
    trainedTells: (n: number, measured: number) =>
      `Trained on your home's own traffic, could tell ${n} of ${measured} devices apart (80 % or more of their traffic named right, and measured on enough of it to be sure)`,
    tooLittle: (n: number) => `${n} ${n === 1 ? 'device' : 'devices'}: too little traffic to tell`,
    alone: (n: number) =>
      n === 1
        ? 'One device with enough traffic: an observer trained on your home has nothing to tell it from'
        : `${n} devices: nothing to tell them from (no other device with enough traffic)`,
    catalogRecognises: (n: number, total: number) =>
      n === 0
        ? `Telltale's catalog recognises none of your ${total} smart-home devices`
        : `Telltale's catalog recognises ${n} of your ${total} smart-home devices`,
    looksLike: (n: number) =>
      `${n} ${n === 1 ? 'device looks' : 'devices look'} like a kind of device it can name, though not which model`,
    /** "DCH-S220 (a sensor)" */
    withKind: (name: string, category: string) => `${name} (${categoryWords(category)})`,
    leaking: (n: number) => `Can see when ${n} ${n === 1 ? 'device is' : 'devices are'} busy`,
    topFindings: 'Top findings',
    allFindings: 'All findings',
    notAnalysed: 'Observer results appear when the capture has been read.',
    notAnalysedLive: 'Observer results appear within half a minute of capturing, then refresh every 30 s.',
    live: 'Live: what was captured so far, refreshed every 30 s.',
    /** "Nest Camera, Ring Doorbell and 3 more" (the first `shown` names). */
    someNames: (names: readonly string[], shown = 3) =>
      names.length <= shown
        ? names.join(', ')
        : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`,
  },
  capture: {
    title: 'Capture',
    fileTitle: 'Replay a capture file',
    fileHelp:
      'pcap, pcapng, or either gzip-compressed (.gz). Several files of one home are read in time order. Add a labels file (a .csv of mac,device,category) to name each device truly and score the observers against it.',
    twoLabels: 'Choose one labels file (.csv) at most.',
    labelsAlone:
      'A labels file (.csv) names the devices of a capture: choose it together with the capture files.',
    choose: 'Choose files…',
    drop: 'or drop capture files here',
    speed: 'Replay speed',
    speedMax: 'As fast as possible',
    speedTimes: (n: number) => `${n}× real time`,
    pause: 'Pause',
    resume: 'Resume',
    stop: 'Stop',
    liveTitle: 'Live capture',
    dropped: 'Packets lost',
    droppedShort: (n: string) => `${n} lost`,
    droppedUnknown: 'not known here (the capturing program counts them)',
    timestamps: 'Timestamps',
    timestampsFrom: {
      libpcap: 'as captured (libpcap)',
      'wall-clock': "this computer's clock on arrival (less exact: a busy computer bunches packets)",
    },
    rightsDumpcap: (path: string) =>
      `Telltale captures with libpcap itself where this computer lets it, and otherwise through Wireshark's dumpcap (${path}), which captures for the members of the wireshark group — the name of the capture says which.`,
    rightsNoDumpcap:
      "Capturing needs the right to: Telltale asks for none itself. The simplest way without root: install Wireshark's dumpcap and join the wireshark group (sudo dpkg-reconfigure wireshark-common, answer Yes; sudo usermod -aG wireshark $USER; log in again).",
    routerTitle: 'From my router over SSH',
    routerWhy:
      "On Wi-Fi or a switched network this computer sees only its own traffic. Your router sees every device's: Telltale can read the router's own capture (tcpdump) over SSH, live, with the router's timestamps. Nothing is changed on the router and nothing leaves this computer but the SSH session.",
    routerHost: 'Router',
    routerUser: 'User',
    routerInterface: 'LAN interface',
    routerPort: 'SSH port',
    routerHow:
      'Needs tcpdump on the router (OpenWrt: opkg install tcpdump) and a login with your SSH key (your own SSH config and keys are used; no password is asked for or stored). Telltale runs:',
    inspectTitle: 'Inspect devices on this network',
    inspectWhy:
      'On Wi-Fi or a switched network this computer sees only its own traffic. Inspect mode lets it see the devices you choose: it sits between them and your router and passes everything on. First Telltale looks for the devices on the network — that only asks, it changes nothing.',
    inspectLook: 'Look for devices',
    inspectLooking: 'Asking each address on the network…',
    inspectFound: (n: number, subnet: string, seconds: number) =>
      `${n} found on ${subnet} in ${seconds.toFixed(0)} s. Tick the ones to inspect.`,
    inspectNone:
      'No other device answered. Check that this interface is on your home network, and look again.',
    inspectDevice: 'Device',
    inspectUnnamed: 'A device with no name',
    inspectAddress: 'Address',
    inspectMac: 'MAC',
    inspectRouter: 'your router — never inspected',
    inspectThis: 'this computer — never inspected',
    inspectConsentTitle: 'Before you start',
    inspectConsentTick: 'I own or administer this network, and I want the ticked devices inspected.',
    inspectStart: (n: number) =>
      n === 0 ? 'Tick devices to inspect' : `Start inspecting ${n} ${n === 1 ? 'device' : 'devices'}`,
    inspectHow:
      "Needs Linux and root (the computer must forward the devices' traffic). Stop, quitting and even a crash give every device its router back within seconds.",
    liveUnavailable: 'Live capture is not available',
    interface: 'Interface',
    filter: 'Capture filter (optional, tcpdump syntax)',
    start: 'Start capture',
    packets: 'packets',
    perSecond: 'packets/s',
    remaining: 'remaining',
    estimating: 'estimating…',
    captureTime: 'Capture time',
    showFiles: (n: number) => `The ${n} files`,
    progress: 'Progress',
    problems: 'Problems with the input',
  },
  devices: {
    title: 'Devices',
    empty: 'No devices yet. Open a capture to find the devices of your home.',
    search: 'Filter devices',
    columns: {
      name: 'Name',
      vendor: 'Vendor',
      category: 'Type',
      mac: 'MAC',
      addresses: 'Addresses',
      state: 'Now',
      napt: 'ISP can tell',
      vpn: 'VPN can tell',
      traffic: 'Traffic',
    },
    rename: 'Rename',
    keys: 'Tab moves from device to device; F2 renames the one in focus, Shift+F2 corrects its type.',
    save: 'Save',
    cancel: 'Cancel',
    reset: 'Use the found name',
    editType: 'Correct the type',
    newName: (name: string) => `New name for ${name}`,
    typeOf: (name: string) => `Type of ${name}`,
    notSeen: 'not seen',
    tooLittle: 'too little traffic',
    alone: 'nothing to tell it from',
    catalogTag: 'catalog',
    catalogTip: (name: string) => `Telltale's catalog recognises it as ${name}`,
    inHomeTip: (share: string, interval: string) =>
      `An observer trained on your home's own earlier traffic names ${share} of its later packets right (95 % interval ${interval})`,
    tooLittleTip:
      'Too little traffic before or after the middle of the capture to train and test an observer on it',
    aloneTip:
      'No other device of your home sent enough traffic, so an observer trained on your home has nothing to tell it from',
    pending: '…',
  },
  detail: {
    back: 'All devices',
    timeline: 'Activity: what it did, and what each observer can tell',
    truth: 'What it did',
    inferredBy: (who: string) => `What ${who} sees`,
    zoomIn: 'Zoom in',
    zoomOut: 'Zoom out',
    zoomReset: 'Whole capture',
    noCapture: 'no capture',
    rates: 'Traffic per minute',
    catalogRecognised: (name: string, share: string, platform: boolean) =>
      `Telltale's catalog recognises it as “${name}” (${share} of its packets, with ${platform ? "those devices'" : "that device's"} packet sizes).`,
    wideRecognised: (name: string, share: string, hosts: readonly string[]) =>
      `Telltale's wider catalog recognises it as “${name}” (${share} of its packets, with that kind's packet sizes, and it talks to ${hosts.slice(0, 2).join(', ')}${hosts.length > 2 ? ' and more' : ''}, a site only that kind's devices used in Telltale's data; another product of the same maker using that site could look the same).`,
    catalogNot: (guess: string) =>
      `Telltale's catalog does not recognise it (its model's most frequent answer, “${guess}”, did not pass the device-level test).`,
    looksLike: (category: string, probability: string, threshold: string) =>
      `Telltale's catalog does not recognise it, but it looks like ${withArticle(categoryWords(category))} (the category model gives that ${probability}; it names a kind only from ${threshold}).`,
    catalogWrong: (name: string) =>
      `Telltale's catalog takes it for “${name}”, which it is not: an observer with the same catalog would be wrong about it.`,
    inHome: (share: string, interval: string) =>
      `Trained on your home's own earlier traffic, an observer names ${share} of its later packets right (95 % interval ${interval}).`,
    inHomeNone: 'There was too little of its traffic to train and test an observer on it.',
    inHomeAlone:
      'No other device of your home sent enough traffic, so an observer trained on your home has nothing to tell it from.',
    inHomePending: 'An observer trained on your home is measured once the capture ends.',
    activityLine: (seen: number, total: number, busyTime: string, falsePerDay: string) =>
      total === 0
        ? `The device was never busy in this capture; its timeline shows it busy ${falsePerDay} times a day when it was not.`
        : `Its timeline shows ${seen} of the device's ${total} busy ${total === 1 ? 'period' : 'periods'} (${busyTime} of busy time), and ${falsePerDay} busy ${falsePerDay === '1' ? 'stretch' : 'stretches'} a day when it was not busy.`,
    ratesChart: 'Bytes per minute, up and down, and packets per minute',
    perMinute: (bytes: string) => `${bytes}/min`,
    packetsUpTo: (n: number) => `packets (top ${n}/min)`,
    rateTip: (at: string, up: string, down: string, local: string, packets: number) =>
      `${at}: ${up} up, ${down} down, ${local} in the home, ${packets} packets`,
    timelineChart: 'Activity timeline',
    timelineKeys: (rows: string) =>
      `Activity timeline: ${rows}. Plus and minus zoom, arrows move, 0 shows everything.`,
    destinations: 'Where it talks to',
    services: 'Services',
    sites: 'Sites, by data',
    names: 'Names looked up or asked for',
    findings: 'Findings about this device',
    whatIfs: 'What if you used a defence',
    noWhatIfs:
      'No outside observer sees any of its traffic (it stays inside your home), so there is nothing for a defence to hide.',
    noDevice: 'This device is not part of the current session.',
    noTimeline: 'No activity recorded yet.',
    recognised: 'packets named as it',
    tooFewForWhatIfs: (observer: string, packets: number) =>
      `${observer}: only ${packets} of its packets cross to it, too few to measure what a defence would change.`,
    spansSeen: 'busy periods seen',
    whatIfSample: (looked: string, of: string) =>
      `The capture is long: each what-if looked at ${looked} of its ${of} packet by packet, so its recognised share and busy periods — and the “none” rows beside them — are those of that sample; the extra traffic is the whole capture's.`,
    researchWhatIfs: (n: number) =>
      `For researchers: ${n} more ${n === 1 ? 'defence' : 'defences'} tried that more than double the traffic or make the device easier to recognise`,
    busySeen: 'busy time seen',
    cost: 'extra traffic',
    notAnalysed: 'Observer timelines appear when the capture has been read.',
    seesNone: 'Sees none of its traffic.',
    busySpans: 'When it was busy',
  },
  spans: {
    none: 'It was never busy in this capture.',
    when: 'Started',
    duration: 'Lasted',
    what: 'What it did',
    show: 'Show',
    more: (n: number) => `… and ${n} earlier busy ${n === 1 ? 'period' : 'periods'}.`,
    refused: refusalsText,
    routine: (n: number, minutes: readonly number[]) =>
      `${n} exchanges on the device's own timer${minutes.length > 0 ? ` (every ${minutes.map((m) => `${m} min`).join(', ')})` : ''} count as idle, not busy.`,
  },
  findings: {
    title: 'Findings',
    empty: 'No findings yet: they appear when a capture has been read.',
    filterDevice: 'Device',
    filterObserver: 'Observer',
    filterSeverity: 'Severity',
    any: 'Any',
    home: 'Whole home',
    noObserver: 'None (seen on your network)',
    what: 'What you can do',
    evidence: 'Evidence',
    count: (shown: number, all: number) => `${shown} of ${all} findings`,
    researcher: (n: number) =>
      `Also the ${n} ${n === 1 ? 'defence' : 'defences'} that would backfire or more than double your traffic (for researchers)`,
  },
  report: {
    title: 'Privacy report',
    deviceTitle: "This device's report",
    pdf: 'Export PDF',
    html: 'Export web page',
    making: 'Making the report…',
    notReady: 'Ready once the capture is read and analysed.',
  },
  skipToContent: 'Skip to content',
  settings: {
    title: 'Settings',
    theme: 'Theme',
    timeZone: 'Time zone',
    systemZone: (zone: string) => `This computer's (${zone})`,
    timeZoneHelp:
      'Every time Telltale shows — on these pages, in the findings and in the reports — is in this zone, with its offset from UTC.',
    themes: { system: 'Follow the system', light: 'Light', dark: 'Dark' },
    defaults: 'Capture defaults',
    defaultInterface: 'Live interface',
    firstInterface: 'the first one listed',
    captureFilter: 'Capture filter',
    noLive: 'Live capture is not available here, so there is no interface to choose.',
    dataDir: 'Data folder',
    models: 'Models in use',
    modelsProblem: 'Device identification is off',
    exportTitle: 'Export',
    exportSession: 'Export this session as JSON',
    exportCsv: 'Export devices, busy times and findings as CSV',
    exportPackets: {
      napt: "Export each packet your ISP sees, with the model's answer (CSV)",
      vpn: "Export each packet your VPN carrier sees, with the model's answer (CSV)",
    },
    exportPacketsNote:
      'For researchers: one row per packet with its device, its true name (from a labels file) and what the model calls it. Telltale reads the capture again to make it, which takes about as long as the first reading.',
    preparing: (done: number, parts: number): string =>
      parts <= 1 && done === 0 ? 'Reading the capture again…' : `Fetching part ${done} of ${parts}…`,
    packetRows: (rows: number): string => `${rows.toLocaleString('en')} packets`,
    saved: 'Saved',
  },
  errors: {
    generic: 'Something went wrong',
    retry: 'Try again',
  },
} as const;

/**
 * A device's type for people: labels' "NON-IOT:phone" is "phone (not a smart-home device)", the
 * gateway "router"; other types as they are; none "–".
 */
export function deviceType(category: string | null): string {
  if (category === null || category === '') return '–';
  if (!isOtherDevice(category)) return category;
  const kind = otherKind(category);
  if (kind === 'router') return kind;
  return kind === '' ? 'not a smart-home device' : `${kind} (not a smart-home device)`;
}

/** A phone's, computer's or router's kind from its NON-IOT type: "phone", "router", or '' when it says none. */
export function otherKind(category: string): string {
  const kind = category.slice('NON-IOT:'.length).trim();
  return kind === 'gateway' ? 'router' : kind;
}

/** A phone, computer or router among the devices (labels' NON-IOT types): not a smart-home device. */
export function isOtherDevice(category: string | null): boolean {
  return category !== null && category.toUpperCase().startsWith('NON-IOT');
}

/** "a camera", "an appliance". */
function withArticle(word: string): string {
  return /^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`;
}
