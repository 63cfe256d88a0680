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
