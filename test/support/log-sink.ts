import { Writable } from 'node:stream'

/** A log destination for a real server in a test: keeps the `msg` of every pino line it writes. */
export function logSink(): { stream: Writable; messages: string[] } {
  const messages: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) messages.push(String(JSON.parse(line).msg))
      done()
    },
  })
  return { stream, messages }
}
