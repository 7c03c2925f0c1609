/**
 * Sites: the registrable domain a name belongs to ("a1.tuyaus.com" → "tuyaus.com",
 * "x.y.co.uk" → "y.co.uk"), from the Public Suffix List as the maintained `tldts` package carries
 * it. A site is who a device talks to as far as names tell: one company may own several sites, and
 * a cloud provider's site (amazonaws.com) hosts many companies' services. Names that are no site
 * — reverse lookups (in-addr.arpa, ip6.arpa), local names (.local, .lan, .home.arpa), bare
 * addresses — give null.
 */
import { parse } from 'tldts';

export function siteOf(name: string): string | null {
  const host = name.trim().toLowerCase().replace(/\.$/, '');
  if (host === '' || host.endsWith('.arpa')) return null;
  const p = parse(host, { allowPrivateDomains: false });
  if (p.isIp === true || p.domain === null || p.isIcann !== true) return null;
  return p.domain;
}
