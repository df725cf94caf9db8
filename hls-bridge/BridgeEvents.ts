/**
 * The bridge's one event enum (hls.js src/events.ts style) and the listener map that
 * types each event's payload. Values are prefixed 'bridge'.
 */
import type {
  BridgeErrorData,
  ClosedData,
  FfmpegExitedData,
  FfmpegStartedData,
  PartData,
  SegmentData,
  StateChangeData,
} from './types.ts';
import type { FfmpegProgress } from './transcode/ffmpeg-log.ts';

export enum BridgeEvents {
  STATE = 'bridgeState',
  FFMPEG_STARTED = 'bridgeFfmpegStarted',
  FFMPEG_PROGRESS = 'bridgeFfmpegProgress',
  FFMPEG_EXITED = 'bridgeFfmpegExited',
  /** The rendition ladder was (re)planned: at the first keyframe, and when the source grows. */
  LADDER = 'bridgeLadder',
  /** The master playlist can be served. */
  READY = 'bridgeReady',
  PART = 'bridgePart',
  SEGMENT = 'bridgeSegment',
  ERROR = 'bridgeError',
  CLOSED = 'bridgeClosed',
}

export enum BridgeErrorDetails {
  FFMPEG_EXIT = 'ffmpegExit',
  FFMPEG_STALL = 'ffmpegStall',
  FFMPEG_START_TIMEOUT = 'ffmpegStartTimeout',
  KEYFRAME_TIMEOUT = 'keyframeTimeout',
  OUTPUT_PARSE = 'outputParse',
  ARCHIVE_WRITE = 'archiveWrite',
  INTERNAL_EXCEPTION = 'internalException',
}

export interface BridgeListeners {
  [BridgeEvents.STATE]: (data: StateChangeData) => void;
  [BridgeEvents.FFMPEG_STARTED]: (data: FfmpegStartedData) => void;
  [BridgeEvents.FFMPEG_PROGRESS]: (data: FfmpegProgress) => void;
  [BridgeEvents.FFMPEG_EXITED]: (data: FfmpegExitedData) => void;
  [BridgeEvents.LADDER]: (data: { readonly renditions: readonly string[] }) => void;
  [BridgeEvents.READY]: () => void;
  [BridgeEvents.PART]: (data: PartData) => void;
  [BridgeEvents.SEGMENT]: (data: SegmentData) => void;
  [BridgeEvents.ERROR]: (data: BridgeErrorData) => void;
  [BridgeEvents.CLOSED]: (data: ClosedData) => void;
}
