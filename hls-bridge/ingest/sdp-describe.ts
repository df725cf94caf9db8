/**
 * The SDP that tells ffmpeg what arrives on which loopback UDP port
 * (ffmpeg -protocol_whitelist file,udp,rtp -i stream.sdp). Payload types and fmtp
 * are the publisher's, so packets are forwarded byte for byte. A source filter keeps
 * anything but the bridge's own loopback socket from injecting media.
 */
import type { MediaKind, RtpCodec } from '../types.ts';

export interface SdpMedia {
  readonly kind: MediaKind;
  readonly codec: RtpCodec;
  readonly port: number;
}

export function describeSdp(media: readonly SdpMedia[], host = '127.0.0.1'): string {
  const lines = ['v=0', `o=- 0 0 IN IP4 ${host}`, 's=hls-bridge', `c=IN IP4 ${host}`, 't=0 0'];
  for (const m of media) {
    const pt = m.codec.payloadType;
    const encoding = m.codec.mimeType.split('/')[1] ?? '';
    if (!/^[A-Za-z0-9-]+$/.test(encoding)) throw new TypeError(`codec mimeType "${m.codec.mimeType}" is not kind/name`);
    const channels = m.kind === 'audio' && m.codec.channels ? `/${m.codec.channels}` : '';
    lines.push(`m=${m.kind} ${m.port} RTP/AVP ${pt}`);
    lines.push(`a=rtpmap:${pt} ${encoding}/${m.codec.clockRate}${channels}`);
    // fmtp comes from the publisher's SDP: keep it on one line so it cannot add SDP lines.
    const fmtp = m.codec.fmtp?.replace(/[\r\n]/g, '').trim();
    if (fmtp) lines.push(`a=fmtp:${pt} ${fmtp}`);
    // ffmpeg binds the wildcard address; this makes it drop packets that do not come from loopback.
    lines.push(`a=source-filter: incl IN IP4 * ${host}`);
    lines.push('a=recvonly');
  }
  return lines.join('\r\n') + '\r\n';
}
