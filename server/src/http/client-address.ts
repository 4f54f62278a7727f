/**
 * Which client a request comes from, for per-client limits: the address our
 * reverse proxy saw, i.e. the rightmost `X-Forwarded-For` entry (the one nginx's
 * `$proxy_add_x_forwarded_for` appends; entries left of it are whatever the
 * client claimed), else the connection's own address. An IPv6 client is its
 * /64, which one host or home usually has whole.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Request } from 'express';

export function clientAddress(request: Request): string {
  const forwarded = request.get('x-forwarded-for')?.split(',').at(-1)?.trim();
  return addressKey(forwarded || request.socket.remoteAddress || '');
}

/** `::ffff:1.2.3.4` is 1.2.3.4; an IPv6 address is its first four groups; anything else is kept as it is. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIPv4(address) || !isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
