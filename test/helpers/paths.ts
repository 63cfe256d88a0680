/** Where the project and the shared test data live, from compiled tests (dist/test/...). */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(d, 'package.json'))) return d;
    d = dirname(d);
  }
  throw new Error('project root not found');
}

export const ROOT = findRoot();
/** ../shared/data beside the checkout (CI puts it there); DARKSCOPE_SHARED overrides. */
export const SHARED_DATA = process.env.DARKSCOPE_SHARED ? resolve(process.env.DARKSCOPE_SHARED, 'data') : resolve(ROOT, '..', 'shared', 'data');

export function sharedFile(rel: string): string {
  return join(SHARED_DATA, rel);
}
