/**
 * Parses an application/trickle-ice-sdpfrag body (RFC 8840, used by WHIP/WHEP
 * PATCH) into candidates addressed by mid and m-line index.
 */
import type { IceCandidateInit } from '../streams/MediaSession.ts';

export interface IceFragment {
  readonly iceUfrag: string | undefined;
  readonly icePwd: string | undefined;
  readonly candidates: readonly IceCandidateInit[];
  readonly endOfCandidates: boolean;
}

export function parseIceFragment(body: string): IceFragment {
  let iceUfrag: string | undefined;
  let icePwd: string | undefined;
  let endOfCandidates = false;
  // Candidates are grouped per m= section first, because a=mid may follow a=candidate within a section.
  const sections: { mid: string | null; candidates: string[] }[] = [];
  const loose: string[] = [];

  for (const rawLine of body.split(/\r?\n/)) {
    const line = rawLine.trim();
    const section = sections.at(-1);
    if (line.startsWith('m=')) sections.push({ mid: null, candidates: [] });
    else if (line.startsWith('a=mid:') && section) section.mid = line.slice('a=mid:'.length);
    else if (line.startsWith('a=candidate:')) (section?.candidates ?? loose).push(line.slice('a='.length));
    else if (line.startsWith('a=ice-ufrag:')) iceUfrag ??= line.slice('a=ice-ufrag:'.length);
    else if (line.startsWith('a=ice-pwd:')) icePwd ??= line.slice('a=ice-pwd:'.length);
    else if (line === 'a=end-of-candidates') endOfCandidates = true;
  }

  const candidates: IceCandidateInit[] = loose.map((candidate) => ({ candidate, sdpMid: null, sdpMLineIndex: 0 }));
  sections.forEach((section, index) => {
    for (const candidate of section.candidates) candidates.push({ candidate, sdpMid: section.mid, sdpMLineIndex: index });
  });
  return { iceUfrag, icePwd, candidates, endOfCandidates };
}
