/**
 * Capture on the home's router over SSH: what the person gives (the router's address, the user
 * to log in as, the router's LAN interface, and an SSH port if not 22) and the rules those must
 * follow. They become the arguments of one `ssh` command run without a shell (engine side,
 * capture/stream-capture.ts), so each field is held to plain characters: no option can be slipped
 * in (none may start with "-") and nothing reaches the router's shell but an interface name.
 */
export interface RouterSsh {
  host: string;
  /** null: the person's SSH config or login name decides. */
  user: string | null;
  interface: string;
  /** null: 22, or what the person's SSH config says. */
  port: number | null;
}

const HOST = /^[A-Za-z0-9_][A-Za-z0-9._:-]{0,252}$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;
const INTERFACE = /^[A-Za-z0-9_][A-Za-z0-9._@-]{0,31}$/;

/** Why `r` cannot be used (one sentence), or null when it can. */
export function routerSshProblem(r: RouterSsh): string | null {
  if (!HOST.test(r.host))
    return 'the router address must be a host name or an IP address (letters, digits, ".", ":", "-"; not starting with "-")';
  if (r.user !== null && !USER.test(r.user))
    return 'the user name may hold letters, digits, ".", "_" and "-", and may not start with "-"';
  if (!INTERFACE.test(r.interface))
    return 'the interface must be a name such as br-lan or eth0 (letters, digits, ".", "_", "-", "@")';
  if (r.port !== null && (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535))
    return 'the SSH port must be a whole number from 1 to 65535';
  return null;
}
