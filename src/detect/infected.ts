/**
 * Infected hosts (DAEDALUS's alert): a source inside one of the organisation's
 * live prefixes (or its internal darknet) that sends to the darknet. The
 * classifier marks such rows (`srcScope`, from the Darknet config's
 * livePrefixes / internalPrefixes); this keeps, per host, first and last seen,
 * packets, distinct darknet destinations and ports, the tools seen, and the
 * first `samples` packets as evidence. A host's episode ends after `timeoutSec`
 * without packets (then a new one starts). At most `maxHosts` hosts at once;
 * packets past it are counted in `droppedPackets`.
 */
import type { PacketBatch } from '../decode/batch.js';
import { SourceScope } from '../config/darknet.js';
import { formatIPv4, formatIPv6 } from '../config/cidr.js';
import { TOOL_RULES, labelsOf } from '../classify/rules.js';
import { DistinctCounter } from '../stats/distinct.js';

export interface InfectedOptions {
  timeoutSec: number;
  samples: number;
  maxHosts: number;
}

export const INFECTED_DEFAULTS: InfectedOptions = { timeoutSec: 3600, samples: 3, maxHosts: 100_000 };

export interface InfectedSample {
  time: string;
  destination: string;
  proto: number;
  port: number;
  tools: string[];
}

export interface InfectedHost {
  host: string;
  scope: 'live' | 'internal-darknet';
  firstSec: number;
  lastSec: number;
  packets: number;
  destinations: number;
  ports: number;
  /** The first packet's destination port (0 for ICMP). */
  firstPort: number;
  proto: number;
  tools: string[];
  samples: InfectedSample[];
}

interface Open {
  host: string;
  scope: InfectedHost['scope'];
  first: number;
  last: number;
  packets: number;
  dsts: DistinctCounter;
  ports: DistinctCounter;
  tools: number;
  samples: InfectedSample[];
  firstPort: number;
  proto: number;
}

export class InfectedDetector {
  readonly opts: InfectedOptions;
  private readonly open = new Map<string, Open>();
  private readonly out: InfectedHost[] = [];
  droppedPackets = 0;

  constructor(opts: Partial<InfectedOptions> = {}) {
    this.opts = { ...INFECTED_DEFAULTS, ...opts };
  }

  add(b: PacketBatch, from = 0, to = b.length): void {
    const scope = b.srcScope;
    for (let i = from; i < to; i++) {
      const sc = scope[i];
      if (sc !== SourceScope.LIVE && sc !== SourceScope.INTERNAL_DARKNET) continue;
      this.count(b, i, sc);
    }
  }

  private count(b: PacketBatch, i: number, sc: number): void {
    const t = b.tsSec[i] + b.tsNsec[i] / 1e9;
    const v6 = b.ipVersion[i] === 6;
    const w = 4 * i;
    const host = v6 ? formatIPv6([b.src6[w], b.src6[w + 1], b.src6[w + 2], b.src6[w + 3]]) : formatIPv4(b.src[i]);
    let e = this.open.get(host);
    if (e && t - e.last > this.opts.timeoutSec) {
      this.end(e);
      this.open.delete(host);
      e = undefined;
    }
    const port = b.proto[i] === 6 || b.proto[i] === 17 ? b.dport[i] : 0;
    if (!e) {
      if (this.open.size >= this.opts.maxHosts) {
        this.droppedPackets++;
        return;
      }
      e = { host, scope: sc === SourceScope.LIVE ? 'live' : 'internal-darknet', first: t, last: t, packets: 0, dsts: new DistinctCounter(10, 256), ports: new DistinctCounter(10, 256), tools: 0, samples: [], firstPort: port, proto: b.proto[i] };
      this.open.set(host, e);
    }
    e.packets++;
    if (t > e.last) e.last = t;
    e.dsts.add(v6 ? b.dst6[w + 3] ^ Math.imul(b.dst6[w + 2], 0x9e3779b1) : b.dst[i]);
    e.ports.add(port | (b.proto[i] << 16));
    e.tools |= b.tools[i];
    if (e.samples.length < this.opts.samples) {
      e.samples.push({
        time: new Date(Math.round(t * 1000)).toISOString(),
        destination: v6 ? formatIPv6([b.dst6[w], b.dst6[w + 1], b.dst6[w + 2], b.dst6[w + 3]]) : formatIPv4(b.dst[i]),
        proto: b.proto[i],
        port,
        tools: labelsOf(b.tools[i], TOOL_RULES),
      });
    }
  }

  private end(e: Open): void {
    this.out.push(this.describe(e));
  }

  private describe(e: Open): InfectedHost {
    return {
      host: e.host, scope: e.scope, firstSec: e.first, lastSec: e.last, packets: e.packets,
      destinations: e.dsts.count(), ports: e.ports.count(), firstPort: e.firstPort, proto: e.proto,
      tools: labelsOf(e.tools, TOOL_RULES), samples: e.samples.slice(),
    };
  }

  take(): InfectedHost[] {
    return this.out.splice(0);
  }

  /** The episodes finish() would emit now (read-only). */
  openEvents(): InfectedHost[] {
    return [...this.open.values()].map((e) => this.describe(e));
  }

  finish(): InfectedHost[] {
    for (const e of this.open.values()) this.end(e);
    this.open.clear();
    return this.take();
  }
}
