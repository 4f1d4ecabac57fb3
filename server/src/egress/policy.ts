/**
 * Where users' models may send requests (docs/decisions/0009-provider-url-policy.md). A
 * model's base URL is a user's input that the server then connects to, so by default it
 * may only reach public unicast addresses: not loopback, private (RFC 1918, fc00::/7),
 * link-local (169.254/16 with the cloud metadata service, fe80::/10), carrier-grade NAT,
 * multicast, unspecified or reserved ranges. Checked when a model is saved (after resolving
 * its host) and again on every request, where the connection goes to the address that was
 * checked (provider-fetch.ts). The administrator opens it with
 * PROVIDER_ALLOW_PRIVATE_NETWORKS=true or per host with PROVIDER_ALLOWED_HOSTS.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import type { Config } from "../env.ts";

export type ProviderNetwork = Config["providerNetwork"];

/** How long saving a model waits for its host's DNS answer; without one, the request-time check decides. */
const VALIDATION_LOOKUP_TIMEOUT_MS = 2000;

/** A model's URL points where models may not connect. The message is for the user: it names no resolved address. */
export class ProviderAddressRefused extends Error {
  constructor(readonly host: string) {
    super(
      `${host} is not a public address (it is loopback, private, link-local, cloud metadata or reserved), and models may only reach public addresses. ` +
        "An administrator can allow it with PROVIDER_ALLOWED_HOSTS or PROVIDER_ALLOW_PRIVATE_NETWORKS.",
    );
    this.name = "ProviderAddressRefused";
  }
}

/** True for a public unicast address; everything else (including IPv4 inside IPv6 forms) is refused. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  // process(): an IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it is.
  return ipaddr.process(address).range() === "unicast";
}

/** The URL's host as an address or name: brackets of an IPv6 literal and a final dot dropped, lower case. */
export function hostOf(url: URL): string {
  return url.hostname
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "")
    .toLowerCase();
}

/** Names that mean this machine whatever DNS says (RFC 6761): never looked up. */
const isLocalhostName = (host: string) => host === "localhost" || host.endsWith(".localhost");

function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
}

/** PROVIDER_ALLOWED_HOSTS names this host (or this address), with this port or any. */
export function isAllowedHost(network: ProviderNetwork, url: URL, address?: string): boolean {
  const port = portOf(url);
  const names = [hostOf(url), ...(address ? [address] : [])].map((name) => (isIP(name) ? ipaddr.process(name).toString() : name));
  return network.allowedHosts.some((entry) => {
    const host = entry.hostname.replace(/^\[(.*)\]$/, "$1");
    const canonical = isIP(host) ? ipaddr.process(host).toString() : host;
    return names.includes(canonical) && (entry.port === null || entry.port === port);
  });
}

/** Every address the host has (an IP literal is its own); throws the resolver's error (ENOTFOUND…). */
export async function addressesOf(url: URL): Promise<{ address: string; family: number }[]> {
  const host = hostOf(url);
  const family = isIP(host);
  if (family) return [{ address: host, family }];
  if (isLocalhostName(host)) return [{ address: "127.0.0.1", family: 4 }];
  return lookup(host, { all: true, verbatim: true });
}

/**
 * Saving a model: its URL must be one the policy lets models reach. A host whose name does
 * not resolve now is let through (the request-time check decides when it is used).
 */
export async function checkProviderUrl(raw: string, network: ProviderNetwork): Promise<void> {
  if (network.allowPrivateNetworks) return;
  const url = new URL(raw);
  if (isAllowedHost(network, url)) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const addresses = await Promise.race([
    addressesOf(url).catch(() => []),
    new Promise<[]>((resolve) => {
      timer = setTimeout(() => resolve([]), VALIDATION_LOOKUP_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  for (const { address } of addresses) {
    if (!isPublicAddress(address) && !isAllowedHost(network, url, address)) throw new ProviderAddressRefused(url.host);
  }
}
