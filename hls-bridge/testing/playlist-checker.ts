/**
 * A strict reader of the playlists the origin serves, for tests: parses master and
 * media playlists and lists every LL-HLS rule (RFC 8216bis) a playlist breaks:
 * part durations within PART-TARGET, EXTINF within TARGETDURATION, a PDT on every
 * segment, server-control minimums, the preload hint naming the next part, and, against
 * the previous reload, a media sequence that never goes back.
 */

export interface ParsedPart {
  readonly uri: string;
  readonly duration: number;
  readonly independent: boolean;
}

export interface ParsedSegment {
  readonly msn: number;
  /** Absent for the open segment (parts only). */
  readonly uri?: string;
  readonly duration?: number;
  readonly programDateTime?: string;
  readonly discontinuity: boolean;
  readonly map?: string;
  readonly parts: readonly ParsedPart[];
}

export interface ParsedMediaPlaylist {
  readonly version: number;
  readonly targetDuration: number;
  readonly partTarget?: number;
  readonly serverControl: Readonly<Record<string, string>>;
  readonly mediaSequence: number;
  readonly discontinuitySequence: number;
  readonly skipped: number;
  readonly segments: readonly ParsedSegment[];
  readonly preloadHint?: string;
  readonly renditionReports: readonly Readonly<Record<string, string>>[];
  readonly ended: boolean;
}

export interface ParsedVariant {
  readonly uri: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface ParsedMaster {
  readonly variants: readonly ParsedVariant[];
  readonly media: readonly Readonly<Record<string, string>>[];
}

export function parseAttributes(list: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;
  for (let m = re.exec(list); m; m = re.exec(list)) out[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  return out;
}

export function parseMasterPlaylist(text: string): ParsedMaster {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines[0] !== '#EXTM3U') throw new Error('master playlist must start with #EXTM3U');
  const variants: ParsedVariant[] = [];
  const media: Record<string, string>[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('#EXT-X-STREAM-INF:')) variants.push({ attributes: parseAttributes(line.slice(18)), uri: lines[++i] ?? '' });
    else if (line.startsWith('#EXT-X-MEDIA:')) media.push(parseAttributes(line.slice(13)));
  }
  return { variants, media };
}

export function parseMediaPlaylist(text: string): ParsedMediaPlaylist {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines[0] !== '#EXTM3U') throw new Error('media playlist must start with #EXTM3U');
  let version = 1;
  let targetDuration = NaN;
  let partTarget: number | undefined;
  let serverControl: Record<string, string> = {};
  let mediaSequence = 0;
  let discontinuitySequence = 0;
  let skipped = 0;
  let preloadHint: string | undefined;
  let ended = false;
  const renditionReports: Record<string, string>[] = [];
  const segments: ParsedSegment[] = [];
  let pending: { parts: ParsedPart[]; discontinuity: boolean; programDateTime?: string; map?: string } = { parts: [], discontinuity: false };
  let duration: number | undefined;
  let map: string | undefined;
  const msnOf = (): number => mediaSequence + skipped + segments.length;
  for (const line of lines.slice(1)) {
    const [tag, value = ''] = splitTag(line);
    switch (tag) {
      case '#EXT-X-VERSION': version = Number(value); break;
      case '#EXT-X-TARGETDURATION': targetDuration = Number(value); break;
      case '#EXT-X-PART-INF': partTarget = Number(parseAttributes(value)['PART-TARGET']); break;
      case '#EXT-X-SERVER-CONTROL': serverControl = parseAttributes(value); break;
      case '#EXT-X-MEDIA-SEQUENCE': mediaSequence = Number(value); break;
      case '#EXT-X-DISCONTINUITY-SEQUENCE': discontinuitySequence = Number(value); break;
      case '#EXT-X-SKIP': skipped = Number(parseAttributes(value)['SKIPPED-SEGMENTS']); break;
      case '#EXT-X-DISCONTINUITY': pending.discontinuity = true; break;
      case '#EXT-X-MAP': map = parseAttributes(value).URI; pending.map = map; break;
      case '#EXT-X-PROGRAM-DATE-TIME': pending.programDateTime = value; break;
      case '#EXT-X-PART': {
        const a = parseAttributes(value);
        pending.parts.push({ uri: a.URI ?? '', duration: Number(a.DURATION), independent: a.INDEPENDENT === 'YES' });
        break;
      }
      case '#EXTINF': duration = Number(value.split(',')[0]); break;
      case '#EXT-X-PRELOAD-HINT': preloadHint = parseAttributes(value).URI; break;
      case '#EXT-X-RENDITION-REPORT': renditionReports.push(parseAttributes(value)); break;
      case '#EXT-X-ENDLIST': ended = true; break;
      default:
        if (!line.startsWith('#')) {
          segments.push({ msn: msnOf(), uri: line, ...(duration !== undefined ? { duration } : {}), ...optional(pending), discontinuity: pending.discontinuity, parts: pending.parts });
          pending = { parts: [], discontinuity: false };
          duration = undefined;
        }
    }
  }
  if (pending.parts.length > 0) segments.push({ msn: msnOf(), ...optional(pending), discontinuity: pending.discontinuity, parts: pending.parts });
  void map;
  return { version, targetDuration, ...(partTarget !== undefined ? { partTarget } : {}), serverControl, mediaSequence, discontinuitySequence, skipped, segments, ...(preloadHint ? { preloadHint } : {}), renditionReports, ended };
}

function optional(p: { programDateTime?: string; map?: string }): { programDateTime?: string; map?: string } {
  return { ...(p.programDateTime ? { programDateTime: p.programDateTime } : {}), ...(p.map ? { map: p.map } : {}) };
}

function splitTag(line: string): [string, string?] {
  const i = line.indexOf(':');
  return i < 0 ? [line] : [line.slice(0, i), line.slice(i + 1)];
}

/** Every LL-HLS rule `text` breaks (empty when it is fine), optionally against the previous reload. */
export function checkMediaPlaylist(text: string, previous?: ParsedMediaPlaylist): { playlist: ParsedMediaPlaylist; errors: string[] } {
  const errors: string[] = [];
  const p = parseMediaPlaylist(text);
  const pt = p.partTarget;
  if (!Number.isInteger(p.targetDuration)) errors.push('EXT-X-TARGETDURATION missing or not an integer');
  if (pt === undefined || !(pt > 0)) errors.push('EXT-X-PART-INF:PART-TARGET missing');
  const sc = p.serverControl;
  if (sc['CAN-BLOCK-RELOAD'] !== 'YES') errors.push('EXT-X-SERVER-CONTROL lacks CAN-BLOCK-RELOAD=YES');
  if (pt !== undefined && !(Number(sc['PART-HOLD-BACK']) >= 2 * pt)) errors.push(`PART-HOLD-BACK ${sc['PART-HOLD-BACK']} is below 2 × PART-TARGET`);
  if (!(Number(sc['CAN-SKIP-UNTIL']) >= 6 * p.targetDuration)) errors.push(`CAN-SKIP-UNTIL ${sc['CAN-SKIP-UNTIL']} is below 6 × TARGETDURATION`);
  if (sc['HOLD-BACK'] !== undefined && !(Number(sc['HOLD-BACK']) >= 3 * p.targetDuration)) errors.push('HOLD-BACK is below 3 × TARGETDURATION');
  if (p.skipped > 0 && p.version < 9) errors.push('EXT-X-SKIP needs EXT-X-VERSION 9');
  if (p.segments.length > 0 && !p.segments[0]!.map) errors.push('no EXT-X-MAP before the first segment');
  for (const s of p.segments) {
    if (!s.programDateTime) errors.push(`segment ${s.msn} has no EXT-X-PROGRAM-DATE-TIME`);
    if (s.duration !== undefined && Math.round(s.duration) > p.targetDuration) errors.push(`segment ${s.msn} EXTINF ${s.duration} rounds above TARGETDURATION ${p.targetDuration}`);
    s.parts.forEach((part, i) => {
      if (pt !== undefined && part.duration > pt) errors.push(`part ${part.uri} lasts ${part.duration} s, more than PART-TARGET ${pt}`);
      const lastOfSegment = i === s.parts.length - 1;
      if (pt !== undefined && !lastOfSegment && part.duration < 0.85 * pt) errors.push(`part ${part.uri} lasts ${part.duration} s, under 85% of PART-TARGET`);
    });
    if (s.uri !== undefined && s.parts.length > 0 && s.duration !== undefined) {
      const sum = s.parts.reduce((a, x) => a + x.duration, 0);
      if (Math.abs(sum - s.duration) > 0.01) errors.push(`segment ${s.msn}: parts add up to ${sum.toFixed(3)} s, EXTINF says ${s.duration}`);
    }
  }
  if (!p.ended) {
    if (!p.preloadHint) errors.push('no EXT-X-PRELOAD-HINT on a live playlist');
    else {
      const expected = expectedHint(p);
      if (expected && p.preloadHint !== expected) errors.push(`preload hint ${p.preloadHint} is not the next part ${expected}`);
    }
  }
  if (previous) {
    if (p.mediaSequence < previous.mediaSequence) errors.push(`media sequence went back from ${previous.mediaSequence} to ${p.mediaSequence}`);
    if (p.discontinuitySequence < previous.discontinuitySequence) errors.push('discontinuity sequence went back');
    const before = new Map(previous.segments.filter((s) => s.uri).map((s) => [s.msn, s.uri]));
    for (const s of p.segments) {
      const old = before.get(s.msn);
      if (s.uri && old && old !== s.uri) errors.push(`segment ${s.msn} changed URI from ${old} to ${s.uri}`);
    }
  }
  return { playlist: p, errors };
}

/** The part URI after the last listed one, in the origin's naming (part-<msn>.<index>.m4s). */
function expectedHint(p: ParsedMediaPlaylist): string | null {
  const last = p.segments.at(-1);
  if (!last) return null;
  if (last.uri === undefined) return `part-${last.msn}.${last.parts.length}.m4s`;
  return `part-${last.msn + 1}.0.m4s`;
}
