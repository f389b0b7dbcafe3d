/**
 * The IPv4 broadcast addresses a socket may reach: `Deno.listenDatagram` sets
 * `SO_BROADCAST` on every socket, so an endpoint without `allowBroadcast`
 * refuses these itself, as the kernel would.
 */

import { isIPv4 } from "node:net";

/** The limited broadcast and the loopback network's; always known. */
const ALWAYS = ["255.255.255.255", "127.255.255.255"];

function toNumber(address: string): number {
  return address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

function toAddress(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/**
 * The limited broadcast address, the loopback network's, and each IPv4
 * interface's directed broadcast address when the interfaces may be listed
 * (`--allow-sys=networkInterfaces`).
 */
export function broadcastAddresses(): Set<string> {
  const found = new Set(ALWAYS);
  const { state } = Deno.permissions.querySync({ name: "sys", kind: "networkInterfaces" });
  if (state !== "granted") return found;
  for (const iface of Deno.networkInterfaces()) {
    const prefix = Number(iface.cidr.split("/")[1]);
    if (iface.family !== "IPv4" || !isIPv4(iface.address) || prefix >= 31) continue;
    const hostBits = 2 ** (32 - prefix) - 1;
    found.add(toAddress((toNumber(iface.address) | hostBits) >>> 0));
  }
  return found;
}
