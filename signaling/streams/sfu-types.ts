/**
 * Names for the SFU objects signaling holds, derived from the `Sfu` entry point
 * so signaling depends only on the contract in ARCHITECTURE.md, not on sfu/ file layout.
 */
import type { Sfu } from '../../sfu/Sfu.ts';

export type SfuRouter = ReturnType<Sfu['createRouter']>;
export type SfuTransport = Awaited<ReturnType<SfuRouter['connectPublisher']>>['transport'];
