// `otpgate <command>`: dispatches to one module per command.
import type { CliIO, Command } from './io.ts';
import { EXIT_USAGE } from './io.ts';
import { OtpgateError } from '../errors.ts';

const USAGE = `usage: otpgate <command> [options]

commands:
  serve --config FILE                      run the gateway
  check-config --config FILE               validate a config and print the resolved rules
  hash-password                            read a password (stdin or prompt), print its argon2id hash
  users add NAME [--email E] [--groups a,b] --file users.yaml
                                           add a user to a users file (password from stdin or prompt)
  users reset-2fa NAME --config FILE       remove a user's devices and backup codes, end their sessions
  webhooks test --config FILE [--url U]    send a signed ping to the webhook endpoints
  webhooks failed --config FILE            list webhook deliveries that finally failed
  webhooks retry ID|--all --config FILE    queue failed deliveries again
`;

async function load(name: string): Promise<Command | null> {
  switch (name) {
    case 'serve':
      return (await import('./serve.ts')).serveCommand;
    case 'check-config':
      return (await import('./check-config.ts')).checkConfigCommand;
    case 'hash-password':
      return (await import('./hash-password.ts')).hashPasswordCommand;
    case 'users':
      return usersCommand;
    case 'webhooks':
      return (await import('./webhooks.ts')).webhooksCommand;
    default:
      return null;
  }
}

const usersCommand: Command = async (args, io) => {
  const [sub, ...rest] = args;
  if (sub === 'add') return (await import('./users-add.ts')).usersAddCommand(rest, io);
  if (sub === 'reset-2fa') return (await import('./users-reset.ts')).usersResetCommand(rest, io);
  io.stderr.write(USAGE);
  return EXIT_USAGE;
};

export async function run(argv: string[], io: CliIO): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? io.stdout : io.stderr).write(USAGE);
    return name ? 0 : EXIT_USAGE;
  }
  const command = await load(name);
  if (!command) {
    io.stderr.write(`otpgate: unknown command "${name}"\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  try {
    return await command(args, io);
  } catch (err) {
    // Errors meant for a person (bad config, unreadable users file, store
    // down) are printed as they are; anything else is a bug worth a stack.
    if (err instanceof OtpgateError) {
      io.stderr.write(`otpgate: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

export function main(argv: string[]): Promise<number> {
  return run(argv, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
}
