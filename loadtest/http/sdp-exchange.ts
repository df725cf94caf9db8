/**
 * The WHIP/WHEP HTTP exchange from Node (light viewers, benchmarks): POST an SDP offer, get the
 * answer and the session URL (RFC 9725 `Location`), DELETE the session when done.
 */

export interface SdpExchangeResult {
  readonly answerSdp: string;
  /** Absolute URL of the session resource, for PATCH (trickle) and DELETE. */
  readonly sessionUrl: string;
}

export async function postSdpOffer(endpointUrl: string, offerSdp: string, bearerToken?: string, timeoutMs = 10_000): Promise<SdpExchangeResult> {
  const headers: Record<string, string> = { 'Content-Type': 'application/sdp' };
  if (bearerToken !== undefined) headers.Authorization = `Bearer ${bearerToken}`;
  const res = await fetch(endpointUrl, { method: 'POST', headers, body: offerSdp, signal: AbortSignal.timeout(timeoutMs) });
  const body = await res.text();
  if (res.status !== 201) {
    throw new Error(`POST ${endpointUrl} answered ${res.status} (expected 201): ${body.slice(0, 300)}`);
  }
  const location = res.headers.get('location');
  if (!location) throw new Error(`POST ${endpointUrl} answered 201 without a Location header; the server must name the session resource`);
  return { answerSdp: body, sessionUrl: new URL(location, endpointUrl).href };
}

/** Ends a WHIP/WHEP session. Best effort: a server that already dropped it (404) is fine. */
export async function deleteSession(sessionUrl: string, bearerToken?: string, timeoutMs = 5_000): Promise<number> {
  const headers: Record<string, string> = {};
  if (bearerToken !== undefined) headers.Authorization = `Bearer ${bearerToken}`;
  const res = await fetch(sessionUrl, { method: 'DELETE', headers, signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer();
  return res.status;
}
