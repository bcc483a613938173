// `otpgate check-config --config FILE`: validate a config file, print the
// resolved rules (exit 0) or every problem in it (exit 1); 2 for bad usage.
import { describeRules, loadConfigFile } from '../config/load.ts';
import { ConfigError, OtpgateError } from '../errors.ts';
import { EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE } from './io.ts';
import type { CliIO, Command } from './io.ts';

const USAGE = `usage: otpgate check-config --config FILE

Validates the config file and prints the protect rules as the gateway will
apply them. Exits 0 when the file is valid, 1 with every problem when not.
`;

type ParsedArgs = { kind: 'run'; configPath: string } | { kind: 'help' } | { kind: 'usage'; message: string };

function parseArgs(args: readonly string[]): ParsedArgs {
  let configPath: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    let value: string | undefined;
    if (arg === '--config') {
      value = args[++i];
      if (value === undefined || value === '') return { kind: 'usage', message: '--config needs a file name' };
    } else if (arg.startsWith('--config=')) {
      value = arg.slice('--config='.length);
      if (value === '') return { kind: 'usage', message: '--config needs a file name' };
    } else if (arg.startsWith('-')) {
      return { kind: 'usage', message: `unknown option ${arg}` };
    } else {
      return { kind: 'usage', message: `unexpected argument ${JSON.stringify(arg)}` };
    }
    if (configPath !== undefined) return { kind: 'usage', message: '--config given more than once' };
    configPath = value;
  }
  if (configPath === undefined) return { kind: 'usage', message: 'missing --config FILE' };
  return { kind: 'run', configPath };
}

export const checkConfigCommand: Command = async (args: string[], io: CliIO): Promise<number> => {
  const parsed = parseArgs(args);
  if (parsed.kind === 'help') {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  if (parsed.kind === 'usage') {
    io.stderr.write(`otpgate check-config: ${parsed.message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  try {
    const config = loadConfigFile(parsed.configPath, io.env);
    io.stdout.write(`${parsed.configPath}: valid\n\n${describeRules(config)}`);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof ConfigError) {
      const count = err.problems.length === 1 ? '1 problem' : `${err.problems.length} problems`;
      io.stderr.write(`${parsed.configPath}: ${count}\n${err.problems.map((p) => `  - ${p}\n`).join('')}`);
      return EXIT_BAD_INPUT;
    }
    if (err instanceof OtpgateError) {
      io.stderr.write(`${err.message}\n`);
      return EXIT_BAD_INPUT;
    }
    throw err;
  }
};
