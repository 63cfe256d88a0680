/** Expand the command line's files and directories into capture file paths. */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

/** Directory depth followed at most (symlink loops, hostile trees). */
const MAX_DEPTH = 32;

/**
 * Files are kept as given; directories are walked recursively, their entries in
 * name order, so the result is deterministic. Hidden entries (".…") inside
 * directories are skipped. Paths that do not exist are returned as they are so
 * the reader reports them.
 */
export async function expandInputs(inputs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of inputs) await walk(p, 0, out, true);
  return out;
}

async function walk(path: string, depth: number, out: string[], explicit: boolean): Promise<void> {
  let st;
  try {
    st = await fsp.stat(path);
  } catch {
    if (explicit) out.push(path);
    return;
  }
  if (!st.isDirectory()) {
    if (explicit || st.isFile()) out.push(path);
    return;
  }
  if (depth >= MAX_DEPTH) return;
  const names = (await fsp.readdir(path)).filter((n) => !n.startsWith('.')).sort();
  for (const n of names) await walk(join(path, n), depth + 1, out, false);
}
