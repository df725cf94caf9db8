/** The /ws endpoint on the page's own origin (wss on https pages, which mobile getUserMedia needs). */
export function signalingUrl(location: { protocol: string; host: string }, path = '/ws'): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}
