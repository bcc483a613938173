// ${VAR} substitution. It runs on the parsed YAML values, never on the file's
// text, so a variable's value is always one plain string: it cannot add keys,
// lists or YAML syntax, whatever it contains. Mapping keys are not substituted.
import { formatKeyPath } from './problems.ts';

// "${NAME}" is a reference; "$${" is a literal "${". Any other "${" is a
// mistake (an unclosed or misspelt reference) and an error, because keeping
// it as text could turn a typo into a usable-looking secret.
const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{/g;

export interface Substituted {
  value: unknown;
  problems: string[];
  /** Key paths ("secrets.session") whose value could not be substituted. */
  failedPaths: string[];
}

export function substituteEnv(raw: unknown, env: NodeJS.ProcessEnv): Substituted {
  const problems: string[] = [];
  const failedPaths: string[] = [];

  function substituteString(text: string, path: PropertyKey[]): string {
    if (!text.includes('${')) return text;
    const before = problems.length;
    const keyPath = formatKeyPath(path);
    const out = text.replace(REFERENCE, (match: string, name: string | undefined) => {
      if (match === '$${') return '${';
      if (name === undefined) {
        problems.push(`${keyPath}: has a "\${" that is not a \${VARIABLE} reference (write "$\${" for a literal "\${")`);
        return '';
      }
      const value = env[name];
      if (value === undefined) problems.push(`${keyPath}: environment variable ${name} is not set`);
      else if (value === '') problems.push(`${keyPath}: environment variable ${name} is empty`);
      return value ?? '';
    });
    if (problems.length > before) failedPaths.push(keyPath);
    return out;
  }

  function walk(value: unknown, path: PropertyKey[]): unknown {
    if (typeof value === 'string') return substituteString(value, path);
    if (Array.isArray(value)) return value.map((item, index) => walk(item, [...path, index]));
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      // fromEntries defines own properties, so a "__proto__" key stays an
      // ordinary (and later rejected as unknown) key.
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    return value;
  }

  return { value: walk(raw, []), problems, failedPaths };
}
