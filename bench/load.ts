// The load generator, in its own process so it does not share an event loop
// with the server under test:
//
//   node --import tsx bench/load.ts '{"url":...,"connections":16,"duration":8,"warmup":2,"headers":{}}'
//
// Runs autocannon for `warmup` seconds (discarded), then for `duration`
// seconds, and prints one JSON line. Latencies are taken from autocannon's
// per-response event with sub-millisecond resolution (its own histogram keeps
// whole milliseconds, too coarse for "added p99 <= 1 ms").
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  duration: number;
  warmup: number;
  headers?: Record<string, string>;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Responses (any status) during the warm-up, which are not measured. */
  warmupRequests: number;
  /** Non-2xx responses, socket errors and timeouts during the measured run. */
  failures: number;
}

const opts = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;

async function run(duration: number, record: boolean): Promise<Omit<LoadResult, 'warmupRequests'> & { all: number }> {
  const latencies: number[] = [];
  const instance = autocannon({ url: opts.url, connections: opts.connections, duration, headers: opts.headers ?? {} });
  if (record) {
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  }
  const result = await instance;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return {
    rps: result['2xx'] / result.duration,
    p50: at(0.5),
    p99: at(0.99),
    requests: result['2xx'],
    failures: result.non2xx + result.errors + result.timeouts,
    all: result['2xx'] + result.non2xx,
  };
}

const warmupRequests = opts.warmup > 0 ? (await run(opts.warmup, false)).all : 0;
const { all: _all, ...measured } = await run(opts.duration, true);
const out: LoadResult = { ...measured, warmupRequests };
process.stdout.write(`${JSON.stringify(out)}\n`);
