/**
 * Where this viewer's picture is, in stream time: the publisher's capture clock (ms since the
 * Unix epoch) of the frame on screen now. Chat uses it twice: to stamp what this viewer sends
 * (streamTime), and to hold what others sent until the picture gets there.
 *  - the streamer: WallClockPlayhead (its preview is "now");
 *  - WebRTC viewers: WebRtcPlayhead (RTCP sender reports via getStats);
 *  - HLS viewers: HlsPlayhead (EXT-X-PROGRAM-DATE-TIME).
 */
export type PlayheadSource = 'wallclock' | 'rtcp-sr' | 'delay-estimate' | 'program-date-time' | 'none';

export interface Playhead {
  /** Stream time of the picture on screen now, or null when nothing is playing. */
  current(): number | null;
  /** How the value is obtained right now (for the debug overlay and tests). */
  readonly source: PlayheadSource;
  /** How far behind the publisher's clock this viewer is, ms (null when unknown). */
  readonly delayMs: number | null;
  stop(): void;
}
