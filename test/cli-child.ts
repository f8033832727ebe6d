/**
 * A `tfjs-tcl` process started ahead of time, for the kill test: it loads the CLI's modules and
 * the backend, then waits for one line on stdin — a JSON array of arguments — and runs exactly
 * `tfjs-tcl <args>` (src/cli/main.ts). So the next process of a kill-and-resume chain is ready
 * while the current one runs, and the test spends its time training and killing, not starting.
 */
import { createInterface } from 'node:readline';
import { initBackend } from '../src/backend.ts';
import '../src/cli/commands.ts';

await initBackend();
const rl = createInterface({ input: process.stdin });
const line = await new Promise<string>((resolve) => rl.once('line', resolve));
rl.close();
process.stdin.destroy();
process.argv = [process.argv[0], 'tfjs-tcl', ...(JSON.parse(line) as string[])];
await import('../src/cli/main.ts');
