/** The lines printed at boot: where to open the pages, and how to reach them from a phone. */
import type { AppConfig } from './config.ts';
import { lanIPv4Addresses } from './lan-addresses.ts';

export function bootBanner(config: AppConfig, url: string, port: number): string[] {
  const lines = [
    'Live streaming platform is up.',
    `  Home (live streams):  ${url}/`,
    `  Go live:              ${url}/live`,
    `  Watch:                ${url}/watch/<streamId>  (linked from the home page)`,
    `  WHIP/WHEP:            POST ${url}/api/streams {"title":"…"} returns the whip/whep URLs and the stream key`,
    config.hls.enabled
      ? `  LL-HLS:               ${url}/hls/<streamId>/master.m3u8  (ffmpeg ${config.hls.videoEncoder} ladder; WebRTC seats per stream: ${config.webrtcMaxViewers})`
      : '  LL-HLS:               off (HLS=0); viewers watch over WebRTC only',
  ];
  const lanHost = config.rtc.announcedIp ?? lanIPv4Addresses()[0];
  const listensOnLan = config.host !== '127.0.0.1' && config.host !== 'localhost' && config.host !== '::1';
  if (config.https) {
    if (!listensOnLan) {
      lines.push(`  Phones cannot reach ${config.host}: restart with HOST=0.0.0.0 to serve the LAN.`);
    } else if (lanHost) {
      lines.push(`  On a phone on the same network open https://${lanHost}:${port}/live`);
      lines.push(`  and accept the certificate warning (self-signed, kept in ${config.tlsDir}/).`);
    }
    if (!config.rtc.announcedIp) {
      lines.push('  Set ANNOUNCED_IP=<this machine\'s LAN IP> so phones can reach the media ports too.');
    }
  } else {
    lines.push(
      '  Phones need HTTPS for the camera: restart with',
      `  HTTPS=1 HOST=0.0.0.0 ANNOUNCED_IP=${lanHost ?? '<LAN IP>'} and open https://${lanHost ?? '<LAN IP>'}:${port}/live on the phone.`,
    );
  }
  return lines;
}
