/**
 * Public surface of hls-bridge for signaling and the SFU adapter.
 */
export { HlsBridge } from './HlsBridge.ts';
export { HlsOrigin, type HlsRequest, type HlsResponse, type HlsOriginOptions, type OriginStream } from './origin/HlsOrigin.ts';
export { BridgeEvents, BridgeErrorDetails, type BridgeListeners } from './BridgeEvents.ts';
export { bridgeDefaults, type HlsBridgeOptions } from './bridge-config.ts';
export { DEFAULT_LADDER, type LadderRung } from './transcode/ladder.ts';
export * from './types.ts';
