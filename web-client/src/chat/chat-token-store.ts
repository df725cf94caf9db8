/**
 * Keeps the chat identity token in localStorage, so a reload or a new tab keeps the same
 * generated name (and the same bans). Private browsing or blocked storage just means a new name.
 */
const KEY = 'chat.identityToken';

export function loadChatToken(): string | undefined {
  try {
    return localStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function saveChatToken(token: string): void {
  try {
    localStorage.setItem(KEY, token);
  } catch {
    // storage unavailable: the identity lasts as long as the page
  }
}
