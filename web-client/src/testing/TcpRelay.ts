/**
 * A loopback TCP relay for tests: forwards a local port to a target port and
 * can cut every live connection, which is how a phone's socket dies when it
 * changes networks. New connections keep working after a cut.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class TcpRelay {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #port = 0;

  private constructor(targetPort: number) {
    this.#server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined); // a cut shows up as ECONNRESET on the other side
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  static async start(targetPort: number): Promise<TcpRelay> {
    const relay = new TcpRelay(targetPort);
    await new Promise<void>((resolve) => relay.#server.listen(0, '127.0.0.1', resolve));
    const address = relay.#server.address();
    relay.#port = typeof address === 'object' && address ? address.port : 0;
    return relay;
  }

  get port(): number {
    return this.#port;
  }

  /** Drops every connection passing through right now. */
  cut(): void {
    for (const s of this.#sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
