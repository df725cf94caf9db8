/** Public types of the SFU, re-exported for callers (signaling, hls-bridge, loadtest). */
export type { SfuOptions, SfuEvents } from './Sfu.ts';
export type { RouterEvents, ConnectResult, ConnectViewerOptions } from './Router.ts';
export type { WebRtcTransportEvents, TransportRole, ConnectionState, IceCandidateInit } from './WebRtcTransport.ts';
export type { ProducerEvents, ProducerCodec, RtpPacketView, SenderReport, MediaKind } from './Producer.ts';
export type { ConsumerEvents } from './Consumer.ts';
export type { LayerPreference, LayerInfo } from './layer-choice.ts';
export type { CodecDescriptor } from './codec-choice.ts';
