// A small flag parser shared by the commands: `--name value`, `--name=value`
// and boolean flags; anything unknown is a usage error.
import { parseArgs } from 'node:util';

export type FlagSpec = Record<string, { type: 'string' | 'boolean' }>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Returns the parsed flags, or an error message for a usage error. */
export function parseFlags(args: string[], spec: FlagSpec): Parsed | { error: string } {
  try {
    const { values, positionals } = parseArgs({ args, options: spec, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}
