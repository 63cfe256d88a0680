/** The `darkscope` command: one subcommand per file in this folder. */
import { Command } from 'commander';
import { analyzeCommand, UsageError } from './analyze.js';
import { readCommand } from './read.js';
import { ConfigError } from '../config/darknet.js';

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
  program
    .command('analyze')
    .description('classify and enrich every packet and summarise: kinds, tools, spoofing, ports, countries, backscatter victims')
    .argument('<files...>', 'capture files or directories (merged in time order), or - for standard input')
    .option('--config <file>', 'darknet configuration (YAML or JSON)')
    .option('--darknet <cidrs>', 'quick configuration: one sensor with these prefixes (comma-separated), home country JP')
    .option('--json', 'one JSON object')
    .option('--top <n>', 'rows in the top lists', '20')
    .option('--quiet', 'no progress display')
    .action(async (files: string[], opts) => {
      status = await analyzeCommand(files, opts);
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
    // Bad configuration or usage: a clear message, no stack trace. Anything else is a bug: show it.
    const expected = err instanceof ConfigError || err instanceof UsageError;
    process.stderr.write(`darkscope: ${expected ? (err as Error).message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 2;
  },
);
