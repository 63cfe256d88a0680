/**
 * The generators' command lines: `--flag value` or `--flag=value`, `-h`/`--help` prints the
 * usage. `on` gets each flag and a function that reads its value (a flag without one fails).
 */
export function eachFlag(argv: string[], usage: string, fail: (msg: string) => never, on: (flag: string, value: () => string, arg: string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      process.stdout.write(usage + '\n');
      process.exit(0);
    }
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    on(flag, () => {
      if (eq > 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) fail(`${flag} needs a value`);
      return argv[++i];
    }, a);
  }
}
