/**
 * The fetch every provider request goes through (the openai SDK's `fetch`): the host is
 * resolved, its address checked against the policy (policy.ts), and the connection made to
 * that checked address (a DNS answer that changes between check and connect cannot move
 * it), with the original Host header and TLS server name. Redirects are not followed: an
 * API that redirects is a misconfigured base URL, and following one would take the request
 * to a place nobody checked.
 */
import { isAllowedHost, isPublicAddress, type ProviderNetwork, ProviderAddressRefused, addressesOf, hostOf } from "./policy.ts";

/** The provider answered with a redirect instead of an answer. */
export class ProviderRedirected extends Error {
  constructor(
    readonly host: string,
    readonly status: number,
  ) {
    super(`The provider at ${host} answered with a redirect (${status}) instead of an answer: set the model's base URL to the address it leads to.`);
    this.name = "ProviderRedirected";
  }
}

function urlOf(input: string | URL | Request): URL {
  return new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
}

/** The checked address to connect to, or null when the URL may be fetched as it is. */
async function pinnedAddress(url: URL, network: ProviderNetwork): Promise<{ address: string; family: number } | null> {
  if (network.allowPrivateNetworks || isAllowedHost(network, url)) return null;
  const addresses = await addressesOf(url);
  const usable = addresses.find(({ address }) => isPublicAddress(address) || isAllowedHost(network, url, address));
  if (!usable) throw new ProviderAddressRefused(url.host);
  return usable;
}

export function providerFetch(network: ProviderNetwork): typeof fetch {
  const guarded = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = urlOf(input);
    const pinned = await pinnedAddress(url, network);
    let target = url;
    const headers = new Headers(init?.headers);
    let tls: { serverName: string } | undefined;
    if (pinned && pinned.address !== hostOf(url)) {
      target = new URL(url);
      target.hostname = pinned.family === 6 ? `[${pinned.address}]` : pinned.address;
      headers.set("host", url.host);
      if (url.protocol === "https:") tls = { serverName: url.hostname };
    }
    const response = await fetch(target, { ...init, headers, redirect: "manual", ...(tls ? { tls } : {}) });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => {});
      throw new ProviderRedirected(url.host, response.status);
    }
    return response;
  };
  return guarded as typeof fetch;
}
