// Types for ./redis-server.mjs, so TypeScript tests can start their own redis-server.
import type { ChildProcess } from 'node:child_process';

export interface RunningRedis {
  port: number;
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export function freePort(): Promise<number>;
/** Starts redis-server on `port` (or a free one); resolves once it accepts connections. */
export function startRedis(options?: { port?: number }): Promise<RunningRedis>;
