/** The `darkscope` command: one subcommand per file in this folder. */
import { Command } from 'commander';
import { readCommand } from './read.js';

export async function main(argv: string[]): Promise<number> {
  let status = 0;
  const program = new Command();
  program
    .name('darkscope')
    .description('darknet observatory: read, decode, classify, store, detect and report on telescope traffic')
    .showHelpAfterError();
  program
    .command('read')
    .description('read capture files (pcap, pcapng, gzip; files or directories) and report what they contain')
    .argument('<files...>', 'capture files or directories')
    .option('--json', 'one JSON object per file per line')
    .action(async (files: string[], opts: { json?: boolean }) => {
      status = await readCommand(files, opts);
    });
  await program.parseAsync(argv, { from: 'user' });
  return status;
}

// `darkscope read … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`darkscope: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
