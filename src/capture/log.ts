/**
 * What happened while reading one capture: the fatal error that stopped it (if
 * any), records that could not be read, and warnings. Every entry names the
 * byte offset (in the decompressed stream) where it was found. Bounded: a
 * hostile file repeating one problem a billion times adds one entry.
 */

export interface CaptureProblem {
  message: string;
  /** Byte offset of the first occurrence (in the decompressed stream). */
  offset: number;
  count: number;
}

const MAX_DISTINCT = 64;

export class CaptureLog {
  error: { message: string; offset: number } | null = null;
  /** Records that could not be read (not counted as packets), by reason. */
  readonly unreadable = new Map<string, CaptureProblem>();
  readonly warnings = new Map<string, CaptureProblem>();

  fatal(message: string, offset: number): void {
    if (!this.error) this.error = { message, offset };
  }

  skipRecord(reason: string, offset: number, detail?: string): void {
    bump(this.unreadable, reason, detail ?? reason, offset);
  }

  warn(key: string, message: string, offset: number): void {
    bump(this.warnings, key, message, offset);
  }
}

function bump(map: Map<string, CaptureProblem>, key: string, message: string, offset: number): void {
  const e = map.get(key);
  if (e) {
    e.count++;
    return;
  }
  if (map.size >= MAX_DISTINCT) {
    const other = map.get('other');
    if (other) other.count++;
    else map.set('other', { message: 'other problems (too many kinds to list)', offset, count: 1 });
    return;
  }
  map.set(key, { message, offset, count: 1 });
}
