/** How this node opens pipe sockets, shared by both ends (PipeHub upstream, RelayManager downstream). */
export interface PipeSettings {
  /** Bind address of pipe sockets (HOST). */
  readonly listenIp: string;
  /** The address other nodes send pipe packets to (this node's private-network address). */
  readonly announcedIp: string;
  /** UDP ports for pipes; undefined: ephemeral ports. */
  readonly portRange: readonly [number, number] | undefined;
  readonly keyframeThrottleMs: number;
}
