// What a CLI command gets from the outside world, so commands can be tested
// without spawning a process.
import type { Readable, Writable } from 'node:stream';

export interface CliIO {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

/** Exit codes of the SPEC: 0 success, 1 bad input or config, 2 usage. */
export const EXIT_OK = 0;
export const EXIT_BAD_INPUT = 1;
export const EXIT_USAGE = 2;

/** A command: takes the arguments after its name, returns the exit code. */
export type Command = (args: string[], io: CliIO) => Promise<number>;
