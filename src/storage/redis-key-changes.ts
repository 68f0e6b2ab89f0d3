import type { Redis } from 'ioredis'
import { createRedisClient } from './redis.js'

/** Where a change to the signing keys is announced: one channel per deployment (its key prefix). */
export function keyChangeChannel(prefix: string): string {
  return `${prefix}keys:changed`
}

/**
 * Tells every server subscribed under `prefix` that the signing keys changed (they re-read them
 * from the database: the message carries nothing). Resolves to how many connections heard it.
 */
export async function publishKeyChange(redis: Redis, prefix: string): Promise<number> {
  return Number(await redis.publish(keyChangeChannel(prefix), 'changed'))
}

export interface KeyChangeListener {
  /** A change was announced, or the subscription came back after a gap (announcements made meanwhile are lost). */
  onChange(): void
  /** Told once when the subscription is lost, and once when it is back. */
  onDown?(err: Error): void
  onUp?(): void
}

export interface KeyChangeSubscription {
  /** True once subscribed; false as soon as a connection attempt fails or `timeoutMs` passes. */
  subscribed(timeoutMs: number): Promise<boolean>
  close(): void
}

/**
 * Listens for key change announcements on a connection of its own (a subscribed connection
 * can do nothing else). Subscribes on every (re)connection, and after a reconnection calls
 * `onChange` too: whatever was announced while the connection was down is caught up by the
 * one re-read. Redis being away never throws here; the client keeps reconnecting.
 */
export function subscribeKeyChanges(url: string, prefix: string, listener: KeyChangeListener): KeyChangeSubscription {
  const channel = keyChangeChannel(prefix)
  const redis = createRedisClient(url, {
    ...(listener.onDown === undefined ? {} : { onDown: listener.onDown }),
    ...(listener.onUp === undefined ? {} : { onUp: listener.onUp }),
  })
  let connections = 0
  let isSubscribed = false
  const waiting = new Set<(ok: boolean) => void>()

  redis.on('message', (from: string) => {
    if (from === channel) listener.onChange()
  })
  redis.on('ready', () => {
    connections += 1
    const gap = connections > 1
    redis.subscribe(channel).then(() => {
      isSubscribed = true
      for (const resolve of waiting) resolve(true)
      waiting.clear()
      if (gap) listener.onChange()
    }, () => undefined)                                    // the connection dropped again: the next 'ready' retries
  })
  redis.on('close', () => { isSubscribed = false })
  redis.on('error', () => {                                   // unreachable: nobody waits for the retries
    for (const resolve of waiting) resolve(false)
    waiting.clear()
  })

  return {
    subscribed(timeoutMs) {
      if (isSubscribed) return Promise.resolve(true)
      return new Promise((resolve) => {
        const settle = (ok: boolean) => { clearTimeout(timer); waiting.delete(settle); resolve(ok) }
        const timer = setTimeout(() => settle(false), timeoutMs)
        waiting.add(settle)
      })
    },
    close() {
      for (const resolve of waiting) resolve(false)
      waiting.clear()
      redis.disconnect()
    },
  }
}
