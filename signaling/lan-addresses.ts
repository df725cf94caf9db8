/** This machine's LAN IPv4 addresses, for the phone URL and the certificate's names. */
import { networkInterfaces } from 'node:os';

export function lanIPv4Addresses(): string[] {
  const out: string[] = [];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) out.push(address.address);
    }
  }
  return out;
}
