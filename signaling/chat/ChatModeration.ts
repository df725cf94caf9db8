/**
 * One room's moderation state: moderators, bans, timeouts and slow mode, written through to
 * the chat database so they outlive restarts, plus the per-user last-message times slow mode
 * needs (memory only, bounded).
 */
import type { ChatLog } from './ChatLog.ts';

export type Restriction = { readonly kind: 'ban' } | { readonly kind: 'timeout'; readonly untilMs: number };

const SLOW_MODE_TRACKED_USERS = 20_000;

export class ChatModeration {
  readonly #streamId: string;
  readonly #log: ChatLog;
  readonly #moderators: Set<string>;
  readonly #restrictions: Map<string, number | null>;
  readonly #lastMessageAt = new Map<string, number>();
  #slowModeSeconds: number;

  constructor(streamId: string, log: ChatLog) {
    this.#streamId = streamId;
    this.#log = log;
    const stored = log.loadRoomState(streamId);
    this.#moderators = new Set(stored.moderators);
    this.#restrictions = stored.restrictions;
    this.#slowModeSeconds = stored.slowModeSeconds;
  }

  get slowModeSeconds(): number {
    return this.#slowModeSeconds;
  }

  isModerator(userId: string): boolean {
    return this.#moderators.has(userId);
  }

  setModerator(userId: string, isModerator: boolean): void {
    if (isModerator) this.#moderators.add(userId);
    else this.#moderators.delete(userId);
    this.#log.saveModerator(this.#streamId, userId, isModerator);
  }

  /** The user's current ban or timeout; expired timeouts are forgotten here. */
  restriction(userId: string, now: number): Restriction | undefined {
    if (!this.#restrictions.has(userId)) return undefined;
    const until = this.#restrictions.get(userId)!;
    if (until === null) return { kind: 'ban' };
    if (until > now) return { kind: 'timeout', untilMs: until };
    this.#restrictions.delete(userId);
    this.#log.saveRestriction(this.#streamId, userId, undefined);
    return undefined;
  }

  ban(userId: string): void {
    this.#restrict(userId, null);
  }

  timeout(userId: string, untilMs: number): void {
    this.#restrict(userId, untilMs);
  }

  lift(userId: string): void {
    this.#restrictions.delete(userId);
    this.#log.saveRestriction(this.#streamId, userId, undefined);
  }

  setSlowMode(seconds: number): void {
    this.#slowModeSeconds = seconds;
    if (seconds === 0) this.#lastMessageAt.clear();
    this.#log.saveSlowMode(this.#streamId, seconds);
  }

  /** ms this user must still wait under slow mode (0 = may send now). */
  slowModeWait(userId: string, now: number): number {
    if (this.#slowModeSeconds === 0) return 0;
    const last = this.#lastMessageAt.get(userId);
    return last === undefined ? 0 : Math.max(0, last + this.#slowModeSeconds * 1000 - now);
  }

  noteMessage(userId: string, now: number): void {
    if (this.#slowModeSeconds === 0) return;
    if (this.#lastMessageAt.size >= SLOW_MODE_TRACKED_USERS) this.#forgetIdle(now);
    this.#lastMessageAt.delete(userId); // re-insert so iteration order stays oldest-first
    this.#lastMessageAt.set(userId, now);
  }

  #restrict(userId: string, until: number | null): void {
    this.#restrictions.set(userId, until);
    this.#log.saveRestriction(this.#streamId, userId, until);
  }

  /** Drops users whose slow-mode wait is over (they are the oldest entries). */
  #forgetIdle(now: number): void {
    const horizon = now - this.#slowModeSeconds * 1000;
    for (const [userId, at] of this.#lastMessageAt) {
      if (at > horizon) break;
      this.#lastMessageAt.delete(userId);
    }
  }
}
