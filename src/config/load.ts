// Reading the config file: YAML in, checked Config out. Everything after
// parsing is ./resolve.ts; this module only adds the file handling.
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, OtpgateError } from '../errors.ts';
import { resolveConfig } from './resolve.ts';
import type { Config } from './types.ts';

export { resolveConfig } from './resolve.ts';
export type { ResolveOptions } from './resolve.ts';
export { describeRules } from './describe.ts';

/** Loads, checks and resolves a config file; relative paths in it are relative to its folder. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Config {
  const file = resolvePath(path);
  const raw = parseYaml(readConfigText(file), path);
  return resolveConfig(raw, { baseDir: dirname(file), env });
}

function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new OtpgateError('CONFIG_NOT_FOUND', `config file not found: ${file}`);
    throw new OtpgateError('CONFIG_INVALID', `cannot read config file ${file}: ${(err as Error).message}`);
  }
}

/** Parses YAML; syntax errors (and unknown tags) become problems naming the line and column. */
export function parseYaml(text: string, fileName: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const problems = [...doc.errors, ...doc.warnings].map((error) => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    return `${fileName} line ${line}, column ${col}: ${error.message}`;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  try {
    return doc.toJS();
  } catch (err) {
    // An unknown alias, or too many aliases (a "billion laughs" file).
    throw new ConfigError([`${fileName}: ${(err as Error).message}`]);
  }
}
