/** The fixed set of reaction buttons; each tap is sent stamped with this viewer's stream time. */
import { REACTION_EMOJIS } from '../../../signaling/protocol/messages.ts';
import { h } from '../ui/element.ts';
import type { ChatClient } from './ChatClient.ts';
import type { Playhead } from './playhead.ts';

export class ReactionBar {
  readonly element: HTMLElement;

  constructor(client: ChatClient, playhead: Playhead) {
    this.element = h('div', { className: 'reaction-bar', attrs: { role: 'group', 'aria-label': 'Reactions' } });
    for (const emoji of REACTION_EMOJIS) {
      const button = h('button', { className: 'reaction-btn', text: emoji, attrs: { type: 'button', 'aria-label': `React ${emoji}`, 'data-emoji': emoji } });
      button.addEventListener('click', () => {
        client.react(emoji, playhead.current() ?? Date.now());
        button.classList.remove('reaction-btn-tapped');
        void button.offsetWidth; // restart the tap animation
        button.classList.add('reaction-btn-tapped');
      });
      this.element.append(button);
    }
  }
}
