/** Capture timestamps: integer seconds + nanoseconds, compared and printed exactly. */

export interface Timestamp {
  sec: number;
  nsec: number;
}

export function compareTs(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return aSec !== bSec ? (aSec < bSec ? -1 : 1) : aNsec - bNsec;
}

/** ISO 8601 in UTC with nanoseconds: 2024-05-01T12:00:00.123456789Z. */
export function formatTimestamp(t: Timestamp): string {
  const d = new Date(t.sec * 1000);
  if (Number.isNaN(d.getTime())) return `${t.sec}.${String(t.nsec).padStart(9, '0')}`;
  return `${d.toISOString().slice(0, 19)}.${String(t.nsec).padStart(9, '0')}Z`;
}

/**
 * Earliest and latest timestamp of a stream and how many packets went back in
 * time. Fed once per packet by the parsers (the values are in registers there).
 */
export class TimeRange {
  packets = 0;
  outOfOrder = 0;
  minSec = 0;
  minNsec = 0;
  maxSec = 0;
  maxNsec = 0;
  private prevSec = 0;
  private prevNsec = 0;

  add(sec: number, nsec: number): void {
    if (this.packets++ === 0) {
      this.minSec = this.maxSec = this.prevSec = sec;
      this.minNsec = this.maxNsec = this.prevNsec = nsec;
      return;
    }
    if (sec > this.prevSec || (sec === this.prevSec && nsec >= this.prevNsec)) {
      if (sec > this.maxSec || (sec === this.maxSec && nsec > this.maxNsec)) {
        this.maxSec = sec;
        this.maxNsec = nsec;
      }
    } else {
      this.outOfOrder++;
      if (sec < this.minSec || (sec === this.minSec && nsec < this.minNsec)) {
        this.minSec = sec;
        this.minNsec = nsec;
      }
    }
    this.prevSec = sec;
    this.prevNsec = nsec;
  }

  get first(): Timestamp | null {
    return this.packets ? { sec: this.minSec, nsec: this.minNsec } : null;
  }

  get last(): Timestamp | null {
    return this.packets ? { sec: this.maxSec, nsec: this.maxNsec } : null;
  }
}
