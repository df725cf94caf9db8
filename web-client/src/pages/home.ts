/** Home page: the live streams with viewer counts, refreshed every few seconds while visible. */
import { listStreams } from '../net/api.ts';
import { byId, setText } from '../ui/element.ts';
import { StreamList } from '../ui/StreamList.ts';

const REFRESH_MS = 5000;

const list = new StreamList(byId<HTMLUListElement>('stream-list'));
const status = byId('home-status');
let timer: ReturnType<typeof setTimeout> | undefined;

async function refresh(): Promise<void> {
  clearTimeout(timer);
  try {
    const streams = await listStreams();
    list.render(streams);
    const live = streams.filter((s) => s.state === 'live').length;
    setText(status, live === 0 ? 'No one is live right now. Be the first: tap "Go live".' : '');
    status.hidden = live > 0;
  } catch (err) {
    status.hidden = false;
    setText(status, `Could not load streams (${(err as Error).message}). Retrying…`);
  }
  // Hidden tabs stop polling; visibilitychange restarts it.
  if (document.visibilityState === 'visible') timer = setTimeout(() => void refresh(), REFRESH_MS);
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void refresh();
  else clearTimeout(timer);
});
void refresh();
