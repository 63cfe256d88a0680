/** The `darkscope` command: one subcommand per file in this folder. */
import { Command } from 'commander';
import { analyzeCommand, UsageError } from './analyze.js';
import { readCommand } from './read.js';
import { ConfigError } from '../config/darknet.js';
import { FilterError } from '../store/filter.js';
import { StoreError } from '../store/store.js';
import { exportCommand } from './export.js';
import { compactCommand, ingestCommand } from './ingest.js';
import { seriesCommand } from './series.js';
import { eventsCommand } from './events.js';
import { miraiCommand } from './mirai.js';
import { reportCommand } from './report.js';
import { sqlCommand } from './sql.js';
import { topCommand } from './top.js';

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
  const DB = ['--db <path>', 'the store (DuckDB file)', './darkscope.duckdb'] as const;
  const selection = (c: Command) =>
    c
      .option(...DB)
      .option('--from <time>', 'start (ISO 8601 date or time, UTC; inclusive)')
      .option('--to <time>', 'end (exclusive)')
      .option('--sensor <names>', 'sensors (comma-separated names from the darknet configuration)')
      .option('--kind <kinds>', 'traffic kinds (tcp-syn, udp, icmp-echo, backscatter, tcp-other, other)')
      .option('--proto <protos>', 'protocols (tcp, udp, icmp, icmpv6 or numbers)')
      .option('--json', 'JSON output')
      .option('--csv', 'CSV output');
  program
    .command('ingest')
    .description('store capture files (exactly once: a file already stored, under any name, adds nothing; an interrupted ingest resumes)')
    .argument('<files...>', 'capture files or directories')
    .option('--config <file>', 'darknet configuration (YAML or JSON); default: the one stored by the last ingest')
    .option('--darknet <cidrs>', 'quick configuration: one sensor with these prefixes')
    .option(...DB)
    .option('--sensor <name>', 'capture point label recorded in the ledger')
    .option('--chunk <records>', 'records per transaction (default 1,105,920: three DuckDB insert groups)')
    .option('--compact', 'merge the rollup rows split across chunks and files at the end (see: darkscope compact)')
    .option('--detect', 'run the detectors (scans, DoS attacks, infected hosts; then surges over the days ingested) and store their events (opt-in: see the README)')
    .option('--pass-every <seconds>', 'during a long ingest (a live feed), bring the day summaries and (--detect) surges up to date after a chunk once this many seconds passed since the last time (default 300; 0: every chunk)')
    .option('--quiet', 'no progress display')
    .action(async (files: string[], opts) => {
      status = await ingestCommand(files, opts);
    });
  program
    .command('compact')
    .description('merge rollup rows that ingest left split (across chunks, hour/day writes and overlapping files): smaller, faster to query; and bring the day summaries up to date (what reports read); the answers do not change')
    .option(...DB)
    .action(async (opts: { db?: string }) => {
      status = await compactCommand(opts);
    });
  selection(program.command('top').description('top destination ports, source countries, ASes, tools, victims or sources, from the rollups'))
    .requiredOption('--by <dimension>', 'port, country, asn, tool, victim, source, kind or sensor')
    .option('--limit <n>', 'rows', '10')
    .action(async (opts) => {
      status = await topCommand(opts);
    });
  selection(program.command('series').description('time series of packets and distinct sources per step, for the top keys'))
    .option('--by <dimension>', 'port, country, kind, sensor, tool or total', 'total')
    .requiredOption('--step <step>', 'bucket width: 5m, 1h, 1d, …')
    .option('--limit <n>', 'keys followed (the top ones over the range)', '5')
    .action(async (opts) => {
      status = await seriesCommand(opts);
    });
  selection(program.command('mirai').description('Mirai-fingerprinted traffic per day: packets per sensor IP (NPA), sources, domestic 23/TCP sources with and without the feature (TSUBAME)'))
    .action(async (opts) => {
      status = await miraiCommand(opts);
    });
  program
    .command('events')
    .description('detected events: scans, DoS attacks, SYN/ACK reflection, infected hosts, surges, new ports, spoofed surges (ingest --detect)')
    .option(...DB)
    .option('--type <types>', 'scan, dos, reflection, infected, surge, new-port, spoofed-surge (comma-separated)')
    .option('--from <time>', 'events ending at or after (ISO 8601)')
    .option('--to <time>', 'events starting before')
    .option('--addr <cidrs>', 'events whose source or victim lies in these prefixes or addresses (comma-separated): your own space')
    .option('--port <ports>', 'events on these ports: probed, the victim\'s, surging (comma-separated)')
    .option('--limit <n>', 'rows', '1000')
    .option('--json', 'one JSON object per line')
    .action(async (opts) => {
      status = await eventsCommand(opts);
    });
  program
    .command('report')
    .description('a periodic report (TSUBAME, NPA, NICTER styles, or all of them with DoS, surges and the method) in Japanese or English, as Markdown, HTML or PDF')
    .option(...DB)
    .option('--period <period>', 'a quarter (2025Q2), a month (2025-06), a year (2025) or days FROM..TO (UTC)')
    .option('--style <style>', 'tsubame, npa, nicter or full', 'full')
    .option('--lang <lang>', 'ja or en', 'ja')
    .option('--format <format>', 'md, html or pdf (default: from --out, else md)')
    .option('--out <file>', 'output file (default: standard output; pdf needs it)')
    .action(async (opts) => {
      status = await reportCommand(opts);
    });
  program
    .command('sql')
    .description('run a read-only SQL query on the store (tables: packets, rollup_minute/hour/day, ingest_files, events, …)')
    .argument('<query>', 'one SQL statement')
    .option(...DB)
    .option('--json', 'one JSON object per row')
    .option('--csv', 'CSV output')
    .action(async (query: string, opts) => {
      status = await sqlCommand(query, opts);
    });
  program
    .command('export')
    .description('write stored packets to CSV, JSON lines or Parquet, optionally filtered')
    .option(...DB)
    .option('--format <format>', 'csv, jsonl or parquet', 'csv')
    .option('--where <filter>', 'e.g. "tool:mirai and src_country:JP and dport in (23,2323)"')
    .option('--out <file>', 'output file (default darkscope-export.FORMAT)')
    .action(async (opts) => {
      status = await exportCommand(opts);
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
    const expected = err instanceof ConfigError || err instanceof UsageError || err instanceof StoreError || err instanceof FilterError;
    process.stderr.write(`darkscope: ${expected ? (err as Error).message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 2;
  },
);
