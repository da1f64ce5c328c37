import type { Express } from "express";

export interface RouteInfo {
  method: string;
  /** An Express path (`/approver/api/requests/:authReqId`), or a mount point for static files. */
  path: string;
  /** Static files: anything below `path` is served. */
  mount: boolean;
}

interface Layer {
  name?: string;
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

const join = (prefix: string, path: string) => (path === "/" ? prefix || "/" : `${prefix}${path}`);

/**
 * Every route the app serves, read from Express's own router (router 2.x `rawPath`), so that a
 * test that walks them covers a route added tomorrow without being told.
 */
export function listRoutes(app: Express): RouteInfo[] {
  const routes: RouteInfo[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      const path = typeof layer.rawPath === "string" ? layer.rawPath : "/";
      if (layer.route && typeof layer.route.path === "string") {
        for (const method of Object.keys(layer.route.methods)) {
          routes.push({
            method: method.toUpperCase(),
            path: join(prefix, layer.route.path),
            mount: false,
          });
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, join(prefix, path === "/" ? "" : path));
      } else if (layer.name === "serveStatic") {
        routes.push({ method: "GET", path: join(prefix, path), mount: true });
      }
    }
  };
  const router = (app as unknown as { router?: { stack?: Layer[] } }).router;
  walk(router?.stack ?? [], "");
  return routes;
}

/** A concrete URL path for a route, with `value` in every parameter. */
export function fillPath(route: RouteInfo, value: string): string {
  const filled = route.path.replace(/:[A-Za-z_]+/g, value);
  return route.mount ? `${filled}/${value}` : filled;
}
