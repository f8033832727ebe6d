/**
 * An error meant for the user: its message is one line that names the problem (and the file,
 * option or tensor involved). The CLI prints `error: <message>` and exits 1, without a stack
 * trace unless `--debug` is given. Anything else that escapes is a bug and shows its stack.
 */
export class TclError extends Error {
  override name = 'TclError';
  constructor(message: string) {
    // One line whatever it quotes (JSON.parse's messages quote the bad input, newlines and all).
    super(message.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' '));
  }
}

/** Training stopped because a weight or state became NaN/Inf. */
export class DivergedError extends TclError {
  override name = 'DivergedError';
}
