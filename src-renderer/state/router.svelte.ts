/** Hash routes: #/, #/capture, #/devices, #/device/<mac>, #/findings, #/settings. */

export type Route =
  | { page: 'home' }
  | { page: 'capture' }
  | { page: 'devices' }
  | { page: 'device'; mac: string }
  | { page: 'findings'; device?: string }
  | { page: 'settings' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  switch (parts[0]) {
    case 'capture':
      return { page: 'capture' };
    case 'devices':
      return { page: 'devices' };
    case 'device':
      return parts[1] !== undefined && parts[1] !== ''
        ? { page: 'device', mac: parts[1] }
        : { page: 'devices' };
    case 'findings':
      return parts[1] !== undefined && parts[1] !== ''
        ? { page: 'findings', device: parts[1] }
        : { page: 'findings' };
    case 'settings':
      return { page: 'settings' };
    default:
      return { page: 'home' };
  }
}

export function href(route: Route): string {
  switch (route.page) {
    case 'home':
      return '#/';
    case 'device':
      return `#/device/${encodeURIComponent(route.mac)}`;
    case 'findings':
      return route.device === undefined ? '#/findings' : `#/findings/${encodeURIComponent(route.device)}`;
    default:
      return `#/${route.page}`;
  }
}

export class Router {
  route = $state<Route>({ page: 'home' });

  constructor(private readonly win: Window) {
    this.route = parseRoute(win.location.hash);
    win.addEventListener('hashchange', () => {
      this.route = parseRoute(win.location.hash);
    });
  }

  go(route: Route): void {
    this.win.location.hash = href(route);
  }
}
