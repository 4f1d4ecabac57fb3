/** Egress: where users' models may connect, checked when saved and on every request. */
export { checkProviderUrl, isPublicAddress, ProviderAddressRefused, type ProviderNetwork } from "./policy.ts";
export { providerFetch, ProviderRedirected } from "./provider-fetch.ts";
