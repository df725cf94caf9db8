/** Chat refusals with stable codes, mapped to error frames like every AppError. */
import { AppError } from '../errors.ts';

/** 429: too fast for a limit (per connection, slow mode, or the whole room). */
export class ChatLimitError extends AppError {
  constructor(code: 'rate_limited' | 'slow_mode' | 'room_busy', message: string) {
    super(429, code, message);
  }
}

/** 403: this user may not do that here (banned, timed out, not a moderator). */
export class ChatRestrictedError extends AppError {
  constructor(code: 'banned' | 'timed_out' | 'not_moderator', message: string) {
    super(403, code, message);
  }
}
