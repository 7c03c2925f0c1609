/**
 * Run inside a test's namespace: `node --import tsx capture-until-gone.ts IFACE`. Captures on
 * IFACE (and holds a raw-frame channel on it) until the capture ends, then prints JSON: the
 * packets read, the capture's errors, and whether sending on the channel still works.
 */
import { LiveCaptureSource, openFrameChannel } from '../../src-main/capture/live-capture.ts';

const iface = process.argv[2];
const source = new LiveCaptureSource(iface);
const channel = openFrameChannel(iface, 'arp', () => undefined);
let packets = 0;
// "capturing" only once the interface is open: the test takes the interface away on that word
source.open();
process.stdout.write('capturing\n');
for await (const batch of source.batches()) packets += batch.length;
let send = 'works';
try {
  channel.send(new Uint8Array(60));
} catch (error) {
  send = (error as Error).message;
}
process.stdout.write(`${JSON.stringify({ packets, errors: source.errors.map((e) => e.message), send })}\n`);
