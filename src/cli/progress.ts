/**
 * Progress of a long run on stderr: a redrawn line on a terminal (percent,
 * packets/s, ETA), a plain log line every few seconds otherwise, nothing with
 * --quiet. Time-based so that it costs nothing per packet.
 */
export interface ProgressSource {
  progress(): { bytesRead: number; bytesTotal: number };
}

export class Progress {
  private readonly tty: boolean;
  private readonly started = Date.now();
  private lastDraw = Date.now();
  private packets = 0;

  constructor(
    private readonly what: string,
    private readonly source: ProgressSource,
    private readonly enabled = true,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  /** Called once per batch. */
  tick(packets: number): void {
    this.packets += packets;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < (this.tty ? 200 : 5000)) return;
    this.lastDraw = now;
    this.draw(now, false);
  }

  done(): void {
    const now = Date.now();
    // A log without a terminal gets the closing line only for runs long enough to have had progress lines.
    if (!this.enabled || (!this.tty && now - this.started < 5000)) return;
    this.draw(now, true);
  }

  private draw(now: number, final: boolean): void {
    const secs = Math.max((now - this.started) / 1000, 1e-3);
    const { bytesRead, bytesTotal } = this.source.progress();
    const frac = bytesTotal > 0 ? Math.min(bytesRead / bytesTotal, 1) : 0;
    const rate = this.packets / secs;
    const eta = frac > 0 && !final ? secs * (1 / frac - 1) : 0;
    const pct = bytesTotal > 0 ? `${(frac * 100).toFixed(1).padStart(5)} %` : '';
    const line = `${this.what}: ${pct} ${this.packets.toLocaleString('en')} packets, ${(rate / 1e6).toFixed(2)} M packets/s${final ? `, ${secs.toFixed(1)} s` : bytesTotal > 0 ? `, ETA ${formatDuration(eta)}` : ''}`;
    if (this.tty) this.out.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    else this.out.write(line + '\n');
  }
}

function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`;
}
