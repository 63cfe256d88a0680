import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

const dir = mkdtempSync(join(tmpdir(), 'darkscope-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Write bytes to a fresh temporary file (removed after the test file). */
export function tmpFile(bytes: Uint8Array, name = `f${n++}.cap`): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

export function tmpPath(name: string): string {
  return join(dir, name);
}
