/**
 * An error meant for the user: its message is one line that names the problem (and the file,
 * option or tensor involved). The CLI prints `error: <message>` and exits 1, without a stack
 * trace unless `--debug` is given. Anything else that escapes is a bug and shows its stack.
 */
export class TclError extends Error {
  override name = 'TclError';
  constructor(message: string) {
    super(message);
  }
}

/** Throws a TclError when `cond` is false. */
export function check(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new TclError(typeof message === 'function' ? message() : message);
}
