/** A ChatConnection for tests that drive ChatService without sockets: records what it is sent and its topics. */
import type { ServerMessage } from '../../protocol/messages.ts';
import type { ChatConnection } from '../ChatRoom.ts';

let nextId = 1;

export class RecordingConnection implements ChatConnection {
  readonly id = nextId++;
  readonly sent: ServerMessage[] = [];
  readonly topics = new Set<string>();
  closed = false;

  send(message: ServerMessage): boolean {
    this.sent.push(message);
    return !this.closed;
  }

  subscribe(topic: string): boolean {
    if (this.topics.has(topic)) return false;
    this.topics.add(topic);
    return true;
  }

  unsubscribe(topic: string): boolean {
    return this.topics.delete(topic);
  }
}
