/**
 * The local address a connected UDP socket gets. Deno's `node:dgram`
 * `connect()` only remembers the peer and leaves the socket on the wildcard
 * address, where the kernel would have bound it to the source address of the
 * route to the peer: binding to that address up front gives the same
 * `sockname` and the same source on the wire.
 */

import { BlockList, isIPv6 } from "node:net";

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");
/** A link-local peer needs a scope (an interface) that an address alone does not give. */
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet("fe80::", 10, "ipv6");

/**
 * The address the kernel picks to reach `peer` (an IP literal): the loopback for a loopback
 * peer, else the peer itself if it is ours, else our address on the peer's
 * subnet, else our only non-loopback address. `null` (keep the wildcard)
 * when that is ambiguous (several interfaces, a link-local peer) or when the
 * interfaces may not be listed (that needs `--allow-sys=networkInterfaces`).
 */
export function sourceAddressFor(peer: string): string | null {
  const family = isIPv6(peer) ? 6 : 4;
  const type = family === 6 ? "ipv6" : "ipv4";
  if (LOOPBACK.check(peer, type)) return family === 6 ? "::1" : "127.0.0.1";
  if (LINK_LOCAL.check(peer, type)) return null;
  const { state } = Deno.permissions.querySync({ name: "sys", kind: "networkInterfaces" });
  if (state !== "granted") return null;
  const candidates = Deno.networkInterfaces().filter((iface) =>
    iface.family === (family === 6 ? "IPv6" : "IPv4") && !iface.scopeid
  );
  const contains = (address: string, prefix: number) => {
    const subnet = new BlockList();
    subnet.addSubnet(address, prefix, type);
    return subnet.check(peer, type);
  };
  const own = candidates.find((iface) => contains(iface.address, family === 6 ? 128 : 32));
  const onLink = own ??
    candidates.find((iface) => contains(iface.address, Number(iface.cidr.split("/")[1])));
  if (onLink !== undefined) return onLink.address;
  // Behind a gateway: with one address besides the loopback, every route leaves from it.
  const outside = candidates.filter((iface) => !LOOPBACK.check(iface.address, type));
  return outside.length === 1 ? outside[0].address : null;
}
