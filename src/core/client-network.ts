import { isIP } from 'node:net'

/**
 * The address a limit counts against. An IPv4 address counts as itself; an IPv6 address counts
 * as its /64, since one subscriber usually holds a whole /64 and could otherwise rotate through
 * 2^64 addresses to start afresh; an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a
 * dual-stack socket reports) counts as the IPv4 address it carries. Anything else (a Unix
 * socket's empty address) counts as itself.
 */
export function clientNetwork(ip: string): string {
  const address = ip.replace(/%.*$/, '')                    // the zone (`fe80::1%eth0`) names our interface, not the client
  if (isIP(address) !== 6) return ip
  const groups = ipv6Groups(address)
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6)
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.')
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail split in two). */
function ipv6Groups(address: string): number[] {
  const parse = (part: string): number[] => part === '' ? [] : part.split(':').flatMap((group) => {
    if (!group.includes('.')) return [Number.parseInt(group, 16)]
    const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number)
    return [(a << 8) | b, (c << 8) | d]
  })
  const [head = '', tail] = address.split('::')
  const left = parse(head)
  if (tail === undefined) return left
  const right = parse(tail)
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
}
