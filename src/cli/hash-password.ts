// `otpgate hash-password`: reads a password and prints its argon2id hash,
// alone on one line, for the users file. Also home of the password input used
// by `users add`.
import type { Readable } from 'node:stream';
import { hashPassword } from '../auth/passwords.ts';
import { parseFlags } from './args.ts';
import { EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE, type CliIO, type Command } from './io.ts';

const USAGE = 'usage: otpgate hash-password   (password on stdin, or typed at the prompt)\n';

export const hashPasswordCommand: Command = async (args, io) => {
  const parsed = parseFlags(args, { help: { type: 'boolean' } });
  if ('error' in parsed || parsed.positionals.length > 0) {
    io.stderr.write(`otpgate hash-password: ${'error' in parsed ? parsed.error : 'takes no arguments'}\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (parsed.values.help) {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  const password = await readNewPassword(io, 'otpgate hash-password');
  if (password === null) return EXIT_BAD_INPUT;
  io.stdout.write(`${await hashPassword(password)}\n`);
  return EXIT_OK;
};

/**
 * A new password: the first line of stdin when it is piped, or typed twice
 * without echo on a terminal. Problems are reported on stderr (prefixed with
 * `who`) and give null.
 */
export async function readNewPassword(io: CliIO, who: string): Promise<string | null> {
  let password: string;
  if (io.stdin.isTTY) {
    const answers = await promptHidden(io, ['Password: ', 'Again: ']);
    if (answers === null) {
      io.stderr.write(`${who}: cancelled\n`);
      return null;
    }
    const [first = '', second = ''] = answers;
    if (first !== second) {
      io.stderr.write(`${who}: the passwords do not match\n`);
      return null;
    }
    password = first;
  } else {
    password = await readFirstLine(io.stdin);
  }
  if (password === '') {
    io.stderr.write(`${who}: empty password\n`);
    return null;
  }
  return password;
}

/** The first line of a stream, without its line ending ("" for an empty stream). */
async function readFirstLine(stream: Readable): Promise<string> {
  let text = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) {
    text += chunk as string;
    const end = text.indexOf('\n');
    if (end >= 0) {
      text = text.slice(0, end);
      break;
    }
  }
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

type RawCapable = Readable & { setRawMode?: (raw: boolean) => unknown };

/**
 * Asks each prompt on stderr and reads one line per prompt with the terminal
 * in raw mode, so nothing typed is echoed. Null when the user presses Ctrl-C
 * or the input ends early.
 */
function promptHidden(io: CliIO, prompts: string[]): Promise<string[] | null> {
  const stdin = io.stdin as RawCapable;
  const answers: string[] = [];
  let current = '';
  stdin.setRawMode?.(true);
  stdin.setEncoding('utf8');
  io.stderr.write(prompts[0] ?? '');

  return new Promise((resolve) => {
    const finish = (result: string[] | null) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.setRawMode?.(false);
      stdin.pause();
      resolve(result);
    };
    const onEnd = () => {
      io.stderr.write('\n');
      finish(null);
    };
    let afterCR = false;
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        // A terminal sends "\r" for Enter, a pasted text may carry "\r\n": one line end.
        const skip = afterCR && ch === '\n';
        afterCR = ch === '\r';
        if (skip) continue;
        if (ch === '\r' || ch === '\n') {
          io.stderr.write('\n');
          answers.push(current);
          current = '';
          if (answers.length === prompts.length) return finish(answers);
          io.stderr.write(prompts[answers.length] ?? '');
        } else if (ch === '\u0003' || ch === '\u0004') {
          // Ctrl-C, or Ctrl-D: give up rather than hash a partial password.
          io.stderr.write('\n');
          return finish(null);
        } else if (ch === '\u007f' || ch === '\b') {
          current = current.slice(0, -1);
        } else if (ch >= ' ') {
          current += ch;
        }
      }
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}
