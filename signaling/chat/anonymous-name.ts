/**
 * Generated display names for anonymous chatters ("BraveOtter42"): derived from the user id
 * by hashing, so the same id always shows the same name and nothing needs storing.
 * Plain FNV-1a (not crypto): it runs in the browser bundle too and only spreads ids over names.
 */
const ADJECTIVES = [
  'Brave', 'Calm', 'Clever', 'Cosmic', 'Cozy', 'Crisp', 'Curious', 'Daring', 'Dizzy', 'Eager', 'Fancy', 'Fuzzy',
  'Gentle', 'Giddy', 'Golden', 'Happy', 'Hasty', 'Jolly', 'Lucky', 'Lunar', 'Mellow', 'Merry', 'Mighty', 'Misty',
  'Nimble', 'Noble', 'Plucky', 'Quick', 'Quiet', 'Rapid', 'Rusty', 'Shiny', 'Silly', 'Sleepy', 'Snowy', 'Solar',
  'Spicy', 'Sunny', 'Swift', 'Tidy', 'Witty', 'Zesty',
] as const;
const ANIMALS = [
  'Otter', 'Panda', 'Falcon', 'Fox', 'Koala', 'Lynx', 'Moose', 'Newt', 'Owl', 'Puffin', 'Quokka', 'Raven',
  'Seal', 'Sloth', 'Tiger', 'Turtle', 'Walrus', 'Wombat', 'Yak', 'Zebra', 'Badger', 'Beaver', 'Bison', 'Camel',
  'Crane', 'Dingo', 'Eagle', 'Ferret', 'Gecko', 'Heron', 'Ibis', 'Jackal', 'Lemur', 'Llama', 'Marten', 'Narwhal',
] as const;

export function anonymousName(userId: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    h ^= userId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const adjective = ADJECTIVES[h % ADJECTIVES.length]!;
  const animal = ANIMALS[Math.floor(h / ADJECTIVES.length) % ANIMALS.length]!;
  const number = Math.floor(h / (ADJECTIVES.length * ANIMALS.length)) % 100;
  return `${adjective}${animal}${String(number).padStart(2, '0')}`;
}
