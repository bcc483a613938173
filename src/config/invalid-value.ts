// The one error the value parsers in this folder throw. Its message says what
// is wrong with the value and what is accepted; the caller adds the key path.
export class InvalidValue extends Error {
  override readonly name = 'InvalidValue';
}
