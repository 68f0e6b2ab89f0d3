export { openStore, migrateToLatest, type OpenStoreOptions } from './open-store.js'
export { MemoryThrottleStore, type MemoryThrottleStoreOptions, DEFAULT_MAX_KEYS } from './memory-throttle-store.js'
export { RedisThrottleStore, DEFAULT_THROTTLE_PREFIX } from './redis-throttle-store.js'
export { createRedisClient, redisReady, type RedisClientOptions } from './redis.js'
export {
  keyChangeChannel, publishKeyChange, subscribeKeyChanges, type KeyChangeListener, type KeyChangeSubscription,
} from './redis-key-changes.js'
