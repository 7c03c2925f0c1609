// UDP echo for network-namespace tests (plain Node, no dependencies):
//   node --import tsx udp-echo.ts serve PORT            echoes every datagram back (runs until killed)
//   node --import tsx udp-echo.ts probe HOST PORT RATE SECONDS
//       sends RATE datagrams a second for SECONDS, then waits 1 s for the last answers, and
//       prints JSON: sent, answered, lost, rtt median / p95 / max (ms), and the longest run of
//       consecutive unanswered datagrams in milliseconds (a loss window).
import { createSocket } from 'node:dgram';

const [mode, ...args] = process.argv.slice(2);
if (mode === 'serve') {
  const socket = createSocket('udp4');
  socket.on('message', (msg, from) => {
    socket.send(msg, from.port, from.address);
  });
  socket.bind(Number(args[0]), '0.0.0.0');
} else if (mode === 'probe') {
  const [host, port, rate, seconds] = [args[0], Number(args[1]), Number(args[2]), Number(args[3])];
  const total = Math.round(rate * seconds);
  const sentAt = new Float64Array(total);
  const rtt = new Float64Array(total).fill(-1);
  const socket = createSocket('udp4');
  socket.on('message', (msg) => {
    const seq = msg.readUInt32BE(0);
    if (seq < total && rtt[seq] < 0) rtt[seq] = performance.now() - sentAt[seq];
  });
  const run = async (): Promise<void> => {
    const start = performance.now();
    for (let seq = 0; seq < total; seq++) {
      const due = start + (seq * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const msg = Buffer.alloc(64);
      msg.writeUInt32BE(seq, 0);
      sentAt[seq] = performance.now();
      socket.send(msg, port, host);
    }
    await new Promise((r) => setTimeout(r, 1000));
    socket.close();
    const answered = [...rtt].filter((r) => r >= 0).sort((a, b) => a - b);
    let run = 0;
    let longest = 0;
    for (const r of rtt) {
      run = r < 0 ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    const q = (f: number): number | null =>
      answered.length === 0
        ? null
        : Number(answered[Math.min(answered.length - 1, Math.floor(f * answered.length))].toFixed(3));
    console.log(
      JSON.stringify({
        sent: total,
        answered: answered.length,
        lost: total - answered.length,
        rttMedianMs: q(0.5),
        rttP95Ms: q(0.95),
        rttMaxMs: answered.length === 0 ? null : Number(answered[answered.length - 1].toFixed(3)),
        longestLossMs: Math.round((longest * 1000) / rate),
      }),
    );
  };
  socket.bind(0, '0.0.0.0', () => {
    void run();
  });
} else {
  console.error('usage: udp-echo.ts serve PORT | probe HOST PORT RATE SECONDS');
  process.exit(1);
}
