/**
 * Narrows a client's offer before werift answers it. werift picks codecs by MIME
 * type only (the first H.264 entry, whatever its profile) and echoes the offer's
 * rtcp-fb lines, so the SFU decides here: it keeps only the chosen payload type
 * per m-section, drops feedback it does not implement (transport-cc: werift's
 * feedback keeps Chromium's estimate low) and can add fmtp parameters that
 * the answer then carries back (x-google-start-bitrate).
 * The answer stays a valid subset of the offer, so the client never notices.
 */

export interface MediaRewrite {
  /** Payload types to keep, in offer order. */
  readonly keepPayloadTypes: readonly number[];
  /** Refuse the whole m-section: its port becomes 0 and werift answers it as rejected; nothing else changes. */
  readonly reject?: boolean;
  /** rtcp-fb values to remove, e.g. 'transport-cc'. */
  readonly dropFeedback?: readonly string[];
  /** fmtp parameters appended to a kept payload type, e.g. 'x-google-start-bitrate=1000'. */
  readonly appendFmtp?: ReadonlyMap<number, string>;
}

/** Rewrites the m-sections listed in `plan` (by m-section index); others pass unchanged. */
export function rewriteOffer(sdp: string, plan: ReadonlyMap<number, MediaRewrite>): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/);
  const out: string[] = [];
  let mediaIndex = -1;
  let rewrite: MediaRewrite | undefined;
  let keep: ReadonlySet<number> = new Set();
  let fmtpWritten = new Set<number>();
  let pendingFmtp: Array<{ pt: number; at: number }> = [];

  const flushMissingFmtp = (): void => {
    // A kept payload type without an a=fmtp line gets one right after its a=rtpmap.
    for (const { pt, at } of pendingFmtp.reverse()) {
      if (fmtpWritten.has(pt)) continue;
      const extra = rewrite?.appendFmtp?.get(pt);
      if (extra) out.splice(at + 1, 0, `a=fmtp:${pt} ${extra}`);
    }
    pendingFmtp = [];
  };

  for (const line of lines) {
    if (line.startsWith('m=')) {
      flushMissingFmtp();
      mediaIndex++;
      rewrite = plan.get(mediaIndex);
      if (rewrite?.reject) {
        const [head, , ...rest] = line.split(/\s+/);
        out.push([head, '0', ...rest].join(' '));
        rewrite = undefined;
        continue;
      }
      keep = new Set(rewrite?.keepPayloadTypes ?? []);
      fmtpWritten = new Set();
      if (rewrite) {
        const [head, port, proto] = line.split(/\s+/);
        out.push([head, port, proto, ...rewrite.keepPayloadTypes].join(' '));
        continue;
      }
      out.push(line);
      continue;
    }
    if (!rewrite) {
      out.push(line);
      continue;
    }
    const pt = payloadTypeOf(line);
    if (pt === 'any') {
      if (!isDroppedFeedback(line, rewrite)) out.push(line);
      continue;
    }
    if (pt !== undefined) {
      if (!keep.has(pt)) continue;
      if (line.startsWith('a=rtcp-fb:') && isDroppedFeedback(line, rewrite)) continue;
      if (line.startsWith('a=fmtp:')) {
        fmtpWritten.add(pt);
        const extra = rewrite.appendFmtp?.get(pt);
        out.push(extra ? `${line};${extra}` : line);
        continue;
      }
      if (line.startsWith('a=rtpmap:')) pendingFmtp.push({ pt, at: out.length });
      out.push(line);
      continue;
    }
    out.push(line);
  }
  flushMissingFmtp();
  return out.join(eol);
}

/** The payload type an a=rtpmap/fmtp/rtcp-fb line refers to, 'any' for rtcp-fb:*, undefined otherwise. */
function payloadTypeOf(line: string): number | 'any' | undefined {
  const m = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+|\*)\s/.exec(line);
  if (!m) return undefined;
  return m[1] === '*' ? 'any' : Number(m[1]);
}

function isDroppedFeedback(line: string, rewrite: MediaRewrite): boolean {
  if (!rewrite.dropFeedback?.length) return false;
  const value = line.slice(line.indexOf(' ') + 1).trim().toLowerCase();
  return rewrite.dropFeedback.includes(value);
}
