// TCP bulk transfer for network-namespace benchmarks (plain Node):
//   node --import tsx tcp-bulk.ts serve PORT BYTES   sends BYTES to each connection, then closes it
//   node --import tsx tcp-bulk.ts fetch HOST PORT    reads one transfer; prints JSON bytes, seconds, megabits/s
//                                                    (or the error, or that it stalled for 30 s)
import { createConnection, createServer } from 'node:net';

const [mode, ...args] = process.argv.slice(2);
if (mode === 'serve') {
  const total = Number(args[1]);
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  createServer((socket) => {
    let left = total;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.end();
    };
    pump();
  }).listen(Number(args[0]), '0.0.0.0');
} else if (mode === 'fetch') {
  const start = performance.now();
  let bytes = 0;
  let done = false;
  const socket = createConnection({ host: args[0], port: Number(args[1]) });
  // a transfer that stalls is reported, not waited for
  const limit = setTimeout(() => {
    done = true;
    console.log(JSON.stringify({ bytes, error: 'stalled: not finished within 30 s' }));
    process.exit(0);
  }, 30_000);
  socket.on('data', (c: Buffer) => {
    bytes += c.length;
  });
  socket.on('close', () => {
    clearTimeout(limit);
    if (done) return;
    done = true;
    const seconds = (performance.now() - start) / 1000;
    console.log(
      JSON.stringify({
        bytes,
        seconds: Number(seconds.toFixed(3)),
        mbps: Number(((bytes * 8) / seconds / 1e6).toFixed(1)),
      }),
    );
  });
  socket.on('error', (e) => {
    if (done) return;
    done = true;
    clearTimeout(limit);
    console.log(JSON.stringify({ bytes, error: e.message }));
  });
} else {
  console.error('usage: tcp-bulk.ts serve PORT BYTES | fetch HOST PORT');
  process.exit(1);
}
