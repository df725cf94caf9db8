/**
 * Reads what the SFU needs from a client's SDP offer (codecs, header extensions,
 * simulcast rids, direction per m-section) and rejects malformed offers with a
 * one-line BadRequestError, before werift sees them. werift's own parser is
 * lenient and would fail later with an unhelpful error.
 */
import { BadRequestError } from '../signaling/errors.ts';

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface OfferCodec {
  readonly payloadType: number;
  /** Encoding name as written, e.g. 'H264', 'VP8', 'opus'. */
  readonly name: string;
  /** `${kind}/${name}`, e.g. 'video/H264'. */
  readonly mimeType: string;
  readonly clockRate: number;
  readonly channels: number | undefined;
  /** The raw a=fmtp value, '' when there is none. */
  readonly fmtp: string;
  /** fmtp parameters with lower-cased keys. */
  readonly params: ReadonlyMap<string, string>;
  /** a=rtcp-fb values for this payload type (and '*'), e.g. 'nack', 'nack pli', 'goog-remb'. */
  readonly feedback: readonly string[];
}

export interface OfferExtension {
  readonly id: number;
  readonly uri: string;
}

export interface OfferMedia {
  readonly index: number;
  readonly kind: string;
  readonly mid: string | undefined;
  readonly port: number;
  readonly direction: MediaDirection;
  readonly codecs: readonly OfferCodec[];
  readonly extensions: readonly OfferExtension[];
  /** Simulcast send rids in a=simulcast order (a=rid order when a=simulcast is missing). */
  readonly sendRids: readonly string[];
}

export interface OfferDescription {
  readonly media: readonly OfferMedia[];
}

/** Upper bound on what we parse; real offers are 2–10 kB. */
const MAX_SDP_CHARS = 64 * 1024;

const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

interface MediaDraft {
  index: number;
  kind: string;
  port: number;
  proto: string;
  formats: number[];
  mid: string | undefined;
  direction: MediaDirection | undefined;
  rtpmap: Map<number, { name: string; clockRate: number; channels: number | undefined }>;
  fmtp: Map<number, string>;
  feedback: Map<number | '*', string[]>;
  extensions: OfferExtension[];
  rids: string[];
  simulcastSend: string[] | undefined;
  hasIceUfrag: boolean;
  hasIcePwd: boolean;
  hasFingerprint: boolean;
}

export function parseOffer(sdp: unknown): OfferDescription {
  if (typeof sdp !== 'string' || sdp.trim() === '') throw malformed('the SDP offer is empty');
  if (sdp.length > MAX_SDP_CHARS) throw malformed(`the SDP offer is larger than ${MAX_SDP_CHARS} characters`);
  const lines = sdp.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines[0] !== 'v=0') throw malformed('it must start with "v=0"');

  let sessionDirection: MediaDirection | undefined;
  let sessionUfrag = false;
  let sessionPwd = false;
  let sessionFingerprint = false;
  const drafts: MediaDraft[] = [];
  let current: MediaDraft | undefined;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line[1] !== '=') throw malformed(`line ${i + 1} is not "<type>=<value>"`);
    if (line.startsWith('m=')) {
      current = parseMediaLine(line, drafts.length);
      drafts.push(current);
      continue;
    }
    if (!line.startsWith('a=')) continue;
    const colon = line.indexOf(':');
    const attr = colon === -1 ? line.slice(2) : line.slice(2, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1);
    if (!current) {
      if (attr === 'ice-ufrag') sessionUfrag = true;
      else if (attr === 'ice-pwd') sessionPwd = true;
      else if (attr === 'fingerprint') sessionFingerprint = true;
      else if (DIRECTIONS.has(attr)) sessionDirection = attr as MediaDirection;
      continue;
    }
    parseMediaAttribute(current, attr, value);
  }

  if (drafts.length === 0) throw malformed('it has no m= section');
  const media = drafts.map((d): OfferMedia => {
    if (d.port !== 0 && (d.kind === 'audio' || d.kind === 'video')) {
      if (!/\bSAVPF?\b/.test(d.proto)) throw malformed(`m-section ${d.index} uses ${d.proto}; WebRTC needs UDP/TLS/RTP/SAVPF`);
      if (!(d.hasIceUfrag || sessionUfrag) || !(d.hasIcePwd || sessionPwd)) {
        throw malformed(`m-section ${d.index} has no a=ice-ufrag/a=ice-pwd`);
      }
      if (!(d.hasFingerprint || sessionFingerprint)) throw malformed(`m-section ${d.index} has no a=fingerprint (DTLS is required)`);
    }
    return {
      index: d.index,
      kind: d.kind,
      mid: d.mid,
      port: d.port,
      direction: d.direction ?? sessionDirection ?? 'sendrecv',
      codecs: buildCodecs(d),
      extensions: d.extensions,
      sendRids: d.simulcastSend ?? d.rids,
    };
  });
  return { media };
}

function parseMediaLine(line: string, index: number): MediaDraft {
  const parts = line.slice(2).split(/\s+/);
  const [kind, portText, proto, ...formats] = parts;
  const port = Number(portText?.split('/')[0]);
  if (!kind || !proto || !Number.isInteger(port) || port < 0 || port > 65535 || formats.length === 0) {
    throw malformed(`m-section ${index} has a bad m= line ("${line.slice(0, 60)}")`);
  }
  const isRtp = kind === 'audio' || kind === 'video';
  const pts = isRtp ? formats.map(Number) : [];
  if (isRtp && pts.some((pt) => !Number.isInteger(pt) || pt < 0 || pt > 127)) {
    throw malformed(`m-section ${index} lists a payload type outside 0-127`);
  }
  return {
    index,
    kind,
    port,
    proto,
    formats: pts,
    mid: undefined,
    direction: undefined,
    rtpmap: new Map(),
    fmtp: new Map(),
    feedback: new Map(),
    extensions: [],
    rids: [],
    simulcastSend: undefined,
    hasIceUfrag: false,
    hasIcePwd: false,
    hasFingerprint: false,
  };
}

function parseMediaAttribute(d: MediaDraft, attr: string, value: string): void {
  switch (attr) {
    case 'mid':
      d.mid = value;
      return;
    case 'ice-ufrag':
      d.hasIceUfrag = true;
      return;
    case 'ice-pwd':
      d.hasIcePwd = true;
      return;
    case 'fingerprint':
      d.hasFingerprint = true;
      return;
    case 'rtpmap': {
      const m = /^(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?$/.exec(value);
      if (!m) throw malformed(`m-section ${d.index} has a bad a=rtpmap ("${value.slice(0, 40)}")`);
      d.rtpmap.set(Number(m[1]), { name: m[2]!, clockRate: Number(m[3]), channels: m[4] ? Number(m[4]) : undefined });
      return;
    }
    case 'fmtp': {
      const m = /^(\d+)\s+(.*)$/.exec(value);
      if (m) d.fmtp.set(Number(m[1]), m[2]!.trim());
      return;
    }
    case 'rtcp-fb': {
      const m = /^(\d+|\*)\s+(.+)$/.exec(value);
      if (!m) return;
      const key = m[1] === '*' ? '*' : Number(m[1]);
      const list = d.feedback.get(key) ?? [];
      list.push(m[2]!.trim().toLowerCase());
      d.feedback.set(key, list);
      return;
    }
    case 'extmap': {
      const m = /^(\d+)(?:\/\w+)?\s+(\S+)/.exec(value);
      if (m) d.extensions.push({ id: Number(m[1]), uri: m[2]! });
      return;
    }
    case 'rid': {
      const [rid, dir] = value.split(/\s+/);
      if (rid && dir === 'send') d.rids.push(rid);
      return;
    }
    case 'simulcast': {
      // "send low;mid;high" or "send ~low;mid,alt" (~ marks a paused stream, ',' lists alternatives).
      const m = /(?:^|\s)send\s+(\S+)/.exec(value);
      if (m) d.simulcastSend = m[1]!.split(';').map((alt) => alt.split(',')[0]!.replace(/^~/, '')).filter(Boolean);
      return;
    }
    default:
      if (DIRECTIONS.has(attr)) d.direction = attr as MediaDirection;
  }
}

function buildCodecs(d: MediaDraft): OfferCodec[] {
  const codecs: OfferCodec[] = [];
  for (const pt of d.formats) {
    const map = d.rtpmap.get(pt) ?? staticPayloadType(pt);
    if (!map) continue;
    const fmtp = d.fmtp.get(pt) ?? '';
    codecs.push({
      payloadType: pt,
      name: map.name,
      mimeType: `${d.kind}/${map.name}`,
      clockRate: map.clockRate,
      channels: map.channels,
      fmtp,
      params: parseFmtp(fmtp),
      feedback: [...(d.feedback.get(pt) ?? []), ...(d.feedback.get('*') ?? [])],
    });
  }
  return codecs;
}

export function parseFmtp(fmtp: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of fmtp.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    params.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return params;
}

/** RFC 3551 static payload types that may appear without a=rtpmap. */
function staticPayloadType(pt: number): { name: string; clockRate: number; channels: number | undefined } | undefined {
  if (pt === 0) return { name: 'PCMU', clockRate: 8000, channels: 1 };
  if (pt === 8) return { name: 'PCMA', clockRate: 8000, channels: 1 };
  return undefined;
}

function malformed(reason: string): BadRequestError {
  return new BadRequestError(`malformed SDP offer: ${reason}`, 'bad_sdp');
}
