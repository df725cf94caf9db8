/** IPC messages of the SRTP floor: the UDP sink process and the sender process. */

export type SinkCommand = { readonly type: 'start'; readonly sockets: number; readonly lifetimeMs: number } | { readonly type: 'stop' };

export type SinkEvent =
  | { readonly type: 'ready'; readonly ports: readonly number[] }
  | { readonly type: 'report'; readonly received: number; readonly bytes: number };

export interface SenderStart {
  readonly type: 'start';
  readonly sinkPorts: readonly number[];
  /** Packets "arriving from the publisher" per second; each is protected and sent once per sink. */
  readonly incomingPacketsPerSecond: number;
  readonly durationMs: number;
  /** Size of each RTP packet before protection (header + payload). */
  readonly packetBytes: number;
  /** DTLS-SRTP protection profile id (sfu/SrtpProtector.ts): what the SFU's viewers negotiate. */
  readonly srtpProfile: number;
  readonly lifetimeMs: number;
}

export type SenderCommand = SenderStart;

export type SenderEvent = {
  readonly type: 'report';
  /** Packets sent in the measured run. */
  readonly packets: number;
  /** Packets sent before it, to warm up the JIT (not measured, but the sinks receive them). */
  readonly warmupPackets: number;
  readonly cpuUserUs: number;
  readonly cpuSystemUs: number;
  readonly wallMs: number;
};
