/**
 * Puts chat on a page: the panel in the page's chat slot, floating reactions over the video,
 * and per role the reactions bar and support dialog (viewers) or donation alerts (streamer).
 * The watch and live pages call this; it owns everything it creates until close().
 */
import type { SignalingClient } from '../net/SignalingClient.ts';
import { ChatClient } from './ChatClient.ts';
import { chatHook } from './chat-hook.ts';
import { ChatPanel } from './ChatPanel.ts';
import { FloatingReactions } from './FloatingReactions.ts';
import type { Playhead } from './playhead.ts';
import { ReactionBar } from './ReactionBar.ts';
import { StreamerAlerts } from './StreamerAlerts.ts';
import { SupportDialog } from './SupportDialog.ts';

export interface ChatMountOptions {
  readonly signaling: SignalingClient;
  readonly streamId: string;
  /** The page's chat column / overlay. */
  readonly slot: HTMLElement;
  /** The video area: floating reactions and alerts are drawn over it. */
  readonly stage: HTMLElement;
  readonly playhead: Playhead;
  /** The streamer's page passes its key: streamer role, moderation and alerts. */
  readonly streamKey?: string;
}

export interface MountedChat {
  readonly client: ChatClient;
  close(): void;
}

export function mountChat(options: ChatMountOptions): MountedChat {
  const hook = chatHook();
  const streamer = options.streamKey !== undefined;
  const client = new ChatClient(options.signaling, options.streamId, streamer ? { streamKey: options.streamKey! } : {});
  const alerts = streamer ? new StreamerAlerts(hook) : null;
  const panel = new ChatPanel({ client, playhead: options.playhead, hook, ...(alerts ? { onSupport: (e) => alerts.show(e) } : {}) });
  const floating = new FloatingReactions(client, options.playhead, hook);
  const extras: HTMLElement[] = [];
  if (!streamer) {
    const support = new SupportDialog(client, options.playhead);
    panel.actions.append(new ReactionBar(client, options.playhead).element, support.button);
    extras.push(support.dialog);
    document.body.append(support.dialog);
  }
  options.stage.append(floating.element);
  if (alerts) options.stage.append(alerts.element);
  options.slot.replaceChildren(panel.element);
  options.slot.hidden = false;
  client.on('error', (err) => {
    hook.lastError = err.message;
  });
  client.start();

  return {
    client,
    close: () => {
      client.close();
      panel.close();
      floating.close();
      alerts?.close();
      options.playhead.stop();
      for (const el of extras) el.remove();
      options.slot.hidden = true;
    },
  };
}
