/**
 * Which ChatBus a node's chat uses: in a cluster with Redis, RedisChatBus (one order per room
 * for every node, reactions combined); otherwise, one-box or a cluster of one, the in-process
 * LocalChatBus. Rejects when Redis does not answer in time (a cluster node must not chat alone).
 */
import type { ChatBus } from '../chat/ChatBus.ts';
import type { ChatDatabase } from '../chat/ChatDatabase.ts';
import { chatIdentityKey, saveChatIdentityKey } from '../chat/chat-identity-key.ts';
import { readChatMeta, writeChatMeta } from '../chat/chat-meta.ts';
import { LocalChatBus } from '../chat/LocalChatBus.ts';
import { RedisChatBus } from '../chat/RedisChatBus.ts';
import type { ClusterConfig } from './cluster-config.ts';

const POSITION_KEY = 'cluster_chat_position';

export async function createChatBus(cluster: ClusterConfig, database: ChatDatabase, reactionWindowMs?: number): Promise<ChatBus> {
  if (cluster.role === 'standalone' || !cluster.redisUrl) return new LocalChatBus();
  return RedisChatBus.connect({
    url: cluster.redisUrl,
    prefix: `${cluster.name}:chat`,
    nodeId: cluster.nodeId,
    localIdentityKey: chatIdentityKey(database),
    saveIdentityKey: (key) => saveChatIdentityKey(database, key),
    position: {
      load: () => {
        const value = readChatMeta(database, POSITION_KEY);
        return value === undefined ? undefined : String(value);
      },
      save: (id) => {
        if (!database.closed) writeChatMeta(database, POSITION_KEY, id);
      },
    },
    ...(reactionWindowMs === undefined ? {} : { reactionWindowMs }),
  });
}
