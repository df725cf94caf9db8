/**
 * Builds werift's RTCPeerConnection configuration for one transport: one ICE
 * host candidate on the listen (or announced) address, a UDP port slice, no
 * STUN servers (pitfall 2: the default public STUN server stalls gathering
 * offline), and exactly the codecs and header extensions the SFU forwards.
 */
import { networkInterfaces } from 'node:os';
import { isIPv4 } from 'node:net';
import {
  RTCRtpCodecParameters,
  RTCRtpHeaderExtensionParameters,
  useAudioLevelIndication,
  useAbsSendTime,
  useRepairedRtpStreamId,
  useSdesMid,
  useSdesRTPStreamId,
  useTransportWideCC,
  type PeerConfig,
} from 'werift';
import type { OfferCodec } from './sdp-offer.ts';

export interface NetworkPlan {
  /** Address the UDP sockets bind to; undefined binds every interface. */
  readonly bindAddress: string | undefined;
  /** Address written in the ICE candidate. */
  readonly candidateAddress: string;
}

/**
 * One candidate per transport. A wildcard listen address announces the first LAN
 * IPv4 address (or loopback when there is none); announcedIp overrides both, for
 * a server behind NAT. Chromium offers only mDNS candidates that werift cannot
 * resolve, so the connection forms because the browser checks this candidate
 * (pitfall 3).
 */
export function planNetwork(listenIp: string, announcedIp: string | undefined): NetworkPlan {
  const wildcard = listenIp === '' || listenIp === '0.0.0.0' || listenIp === '::';
  if (!wildcard && !isIPv4(listenIp)) {
    throw new TypeError(`listenIp "${listenIp}" must be an IPv4 address or 0.0.0.0`);
  }
  if (announcedIp !== undefined && announcedIp !== '' && !isIPv4(announcedIp)) {
    throw new TypeError(`announcedIp "${announcedIp}" must be an IPv4 address`);
  }
  const announced = announcedIp || undefined;
  return {
    bindAddress: wildcard ? undefined : listenIp,
    candidateAddress: announced ?? (wildcard ? (firstLanIPv4() ?? '127.0.0.1') : listenIp),
  };
}

function firstLanIPv4(): string | undefined {
  const nics = networkInterfaces();
  for (const name of Object.keys(nics).sort()) {
    for (const addr of nics[name] ?? []) {
      if (addr.family === 'IPv4' && !addr.internal) return addr.address;
    }
  }
  return undefined;
}

export type Role = 'publisher' | 'viewer';

/** URIs forwarded from publisher to viewers, mapped to each viewer's ids. */
export const FORWARDED_EXTENSION_URIS: ReadonlySet<string> = new Set([useAudioLevelIndication().uri]);

/**
 * Header extensions negotiated per leg. Publisher: mid and rid for demuxing
 * simulcast, transport-wide sequence numbers for our congestion feedback
 * (TransportCcFeedback; pitfall 7), and no video-orientation, so phones
 * rotate pixels themselves and the HLS copy is upright too.
 * Viewer: mid, abs-send-time (written by the SFU at send time, for the browser's
 * REMB estimator) and the audio level copied from the publisher.
 */
function headerExtensions(role: Role): { audio: RTCRtpHeaderExtensionParameters[]; video: RTCRtpHeaderExtensionParameters[] } {
  if (role === 'publisher') {
    return {
      audio: [useSdesMid(), useAudioLevelIndication(), useTransportWideCC()],
      video: [useSdesMid(), useSdesRTPStreamId(), useRepairedRtpStreamId(), useTransportWideCC()],
    };
  }
  return {
    audio: [useSdesMid(), useAudioLevelIndication()],
    video: [useSdesMid(), useAbsSendTime()],
  };
}

export function toWeriftCodec(codec: OfferCodec): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({
    mimeType: codec.mimeType,
    clockRate: codec.clockRate,
    channels: codec.channels,
    payloadType: codec.payloadType,
    parameters: codec.fmtp || undefined,
    rtcpFeedback: codec.feedback.map((fb) => {
      const [type, parameter] = fb.split(/\s+/, 2);
      return parameter ? { type: type!, parameter } : { type: type! };
    }),
  });
}

export interface PeerConfigInput {
  readonly role: Role;
  readonly network: NetworkPlan;
  readonly portRange: [number, number];
  readonly audio: OfferCodec | undefined;
  readonly video: OfferCodec | undefined;
}

export function buildPeerConfig(input: PeerConfigInput): Partial<PeerConfig> {
  const { network } = input;
  return {
    codecs: {
      audio: input.audio ? [toWeriftCodec(input.audio)] : [],
      video: input.video ? [toWeriftCodec(input.video)] : [],
    },
    headerExtensions: headerExtensions(input.role),
    iceServers: [],
    // Host addresses are not enumerated: the one candidate comes from iceAdditionalHostAddresses.
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceUseTcp: false,
    iceAdditionalHostAddresses: [network.candidateAddress],
    iceInterfaceAddresses: network.bindAddress ? { udp4: network.bindAddress } : undefined,
    icePortRange: input.portRange,
    bundlePolicy: 'max-bundle',
  };
}
