/**
 * The address a request came from, for the per-address limits on sign-in, sign-up and
 * password-reset requests. Behind a reverse proxy (TRUST_PROXY) the socket's peer is the
 * proxy, and X-Forwarded-For lists the hops: whatever the client sent first, then one
 * entry per proxy it passed. Only entries appended by our own proxies can be believed, so
 * the client is the right-most hop that is not one of TRUSTED_PROXIES, as Express's
 * `trust proxy` and Django's proxy middleware do (docs/decisions/0016-accounts.md).
 */
import ipaddr from "ipaddr.js";

/** TRUSTED_PROXIES as env.ts checked it: ranges in CIDR form ("127.0.0.0/8", "::1/128"). */
export type TrustedProxies = readonly string[];
type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];
const parsedRanges = new WeakMap<TrustedProxies, Range[]>();

function rangesOf(trusted: TrustedProxies): Range[] {
  let ranges = parsedRanges.get(trusted);
  if (!ranges) {
    ranges = trusted.map((cidr) => ipaddr.parseCIDR(cidr));
    parsedRanges.set(trusted, ranges);
  }
  return ranges;
}

function parsedAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  // "[::1]:1234" and "1.2.3.4:5678" forms appear in some proxies' headers.
  const bare = text.replace(/^\[([^\]]+)\](?::\d+)?$/, "$1").replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, "$1");
  if (!ipaddr.isValid(bare)) return null;
  // ::ffff:127.0.0.1 (how a dual-stack socket reports IPv4 peers) is the IPv4 address.
  return ipaddr.process(bare);
}

function isTrusted(address: ipaddr.IPv4 | ipaddr.IPv6, trusted: TrustedProxies): boolean {
  return rangesOf(trusted).some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
}

/**
 * `peer`: the socket's remote address, or null for a request handed to the app in process
 * (no socket, no hop to doubt: the forwarded chain is read as if a trusted proxy sent it).
 */
export function clientAddress(request: Request, peer: string | null, options: { trustProxy: boolean; trustedProxies: TrustedProxies }): string {
  const header = options.trustProxy ? (request.headers.get("x-forwarded-for") ?? "") : "";
  if (header.length > MAX_REMEMBERED_HEADER) return resolve(header, peer, options);
  let known = answers.get(options.trustedProxies);
  if (!known) {
    known = new Map();
    answers.set(options.trustedProxies, known);
  }
  const key = `${options.trustProxy ? "trust" : "peer"} ${peer ?? "(none)"} ${header}`;
  let answer = known.get(key);
  if (answer === undefined) {
    answer = resolve(header, peer, options);
    if (known.size >= MAX_REMEMBERED) known.clear();
    known.set(key, answer);
  }
  return answer;
}

/**
 * Answers by peer and X-Forwarded-For, per TRUSTED_PROXIES: the same few peers and proxy
 * chains come back request after request, and parsing them was about 1% of a small GraphQL
 * request's CPU (decision 0014). Bounded, and long headers are not kept.
 */
const answers = new WeakMap<TrustedProxies, Map<string, string>>();
const MAX_REMEMBERED = 1000;
const MAX_REMEMBERED_HEADER = 256;

function resolve(header: string, peer: string | null, options: { trustProxy: boolean; trustedProxies: TrustedProxies }): string {
  const peerAddress = peer === null ? null : (parsedAddress(peer)?.toString() ?? peer);
  if (!options.trustProxy) return peerAddress ?? "unknown";
  const forwarded = header
    .split(",")
    .map((hop) => hop.trim())
    .filter((hop) => hop !== "");
  const hops = peerAddress === null ? forwarded : [...forwarded, peerAddress];
  let nearest = peerAddress ?? "unknown";
  for (let i = hops.length - 1; i >= 0; i--) {
    const address = parsedAddress(hops[i]!);
    // Our proxies write addresses; anything else came from the client: the hop that passed it on is all we know.
    if (!address) return nearest;
    nearest = address.toString();
    if (!isTrusted(address, options.trustedProxies)) return nearest;
  }
  // Every hop is one of ours (a request from the proxy's own machine): the left-most is the client.
  return nearest;
}
