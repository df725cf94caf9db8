/** IPC between the soak and its platform child process (server-entry.ts). */

export interface ServerStart {
  readonly type: 'start';
  /** Config variables (as env strings) on top of startLocalPlatform's defaults. */
  readonly overrides: Record<string, string>;
  /** The child exits by itself after this long, whatever happens. */
  readonly lifetimeMs: number;
}

export interface ServerStop {
  readonly type: 'stop';
}

export type ServerCommand = ServerStart | ServerStop;

export interface ServerReady {
  readonly type: 'ready';
  /** The platform's base URL; null when it could not start (see error). */
  readonly url: string | null;
  readonly error: string | null;
}

export interface ServerStopped {
  readonly type: 'stopped';
}

export type ServerEvent = ServerReady | ServerStopped;
