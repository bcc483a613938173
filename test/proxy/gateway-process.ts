// The test gateway alone in its own process, so its memory can be measured
// apart from the test's client and upstream.
//   node --import tsx test/proxy/gateway-process.ts <upstream url>
// Prints {"port": n} once listening; on each "rss" line on stdin prints
// {"maxRssKb": n} (peak resident set size so far); exits on stdin end.
import { createInterface } from 'node:readline';
import { startGateway } from './harness.ts';

const upstreamUrl = process.argv[2];
if (upstreamUrl === undefined) throw new Error('usage: gateway-process.ts <upstream url>');
const gateway = await startGateway(new URL(upstreamUrl));
// Started with --expose-gc: collect often, so peak RSS reflects memory the
// gateway holds rather than garbage V8 has not got round to freeing (it lets
// tens of MB of spent Buffers pile up before it collects).
const collect = (globalThis as { gc?: () => void }).gc;
if (collect !== undefined) setInterval(collect, 25).unref();
process.stdout.write(`${JSON.stringify({ port: gateway.port })}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === 'rss') process.stdout.write(`${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS })}\n`);
});
lines.on('close', () => {
  void gateway.close().then(() => process.exit(0));
});
