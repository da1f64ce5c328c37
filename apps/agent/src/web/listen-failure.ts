import { urlHostOf } from "@ciba-testbed/shared/node";

import { defaultBaseUrl, type WebConfig } from "./web-config.js";

/** Why the web app could not listen, naming the variable to change, and what to exit with. */
export interface ListenFailure {
  message: string;
  fix: string;
  /**
   * 2 when a setting must change, since starting again as it is cannot help; 1 for a port
   * another process holds, which may be free later (mock-auth0 and shop-api exit 1 for it too).
   */
  exitCode: 1 | 2;
}

/**
 * The listen error as the person who set AGENT_PORT or AGENT_HOST reads it, with its fix;
 * `undefined` for an error no setting explains.
 */
export function listenFailure(
  error: unknown,
  config: Pick<WebConfig, "host" | "port" | "baseUrl">,
): ListenFailure | undefined {
  const { host, port } = config;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const otherHost = `Set AGENT_HOST to a name or address of this machine, such as 127.0.0.1 (the default).`;
  switch (code) {
    case "EADDRINUSE":
      return {
        message: `The web app cannot listen on ${host}:${port}: another process holds port ${port} (AGENT_PORT, EADDRINUSE).`,
        fix: `Stop that process, or set AGENT_PORT to a free port. ${newPort(config)}`,
        exitCode: 1,
      };
    case "EACCES":
      return {
        message: `The web app may not listen on port ${port} (AGENT_PORT): this process lacks the privilege a port below 1024 needs (EACCES).`,
        fix: `Set AGENT_PORT to a port from 1024 up, such as 3000. ${newPort(config)}`,
        exitCode: 2,
      };
    case "ENOTFOUND":
      return {
        message: `AGENT_HOST ${host} does not resolve to an address (ENOTFOUND), so the web app cannot listen on it.`,
        fix: otherHost,
        exitCode: 2,
      };
    case "EAI_AGAIN":
      // The resolver did not answer: starting again once it does may work as it is.
      return {
        message: `AGENT_HOST ${host} could not be looked up (EAI_AGAIN: the resolver did not answer), so the web app cannot listen on it.`,
        fix: `Start again once names resolve, or set AGENT_HOST to an IP address of this machine, such as 127.0.0.1 (the default), which needs no lookup.`,
        exitCode: 1,
      };
    case "EADDRNOTAVAIL":
      return {
        message: `AGENT_HOST ${host} is not an address of this machine (EADDRNOTAVAIL), so the web app cannot listen on it.`,
        fix: otherHost,
        exitCode: 2,
      };
    default:
      return undefined;
  }
}

/**
 * The login callback is `<APP_BASE_URL>/auth/callback`, and APP_BASE_URL names AGENT_PORT unless
 * it is set: the tenant must then allow the new port's callback, or the login fails there.
 */
function newPort(config: Pick<WebConfig, "host" | "port" | "baseUrl">): string {
  if (config.baseUrl !== defaultBaseUrl(config.host, config.port)) {
    return `APP_BASE_URL (${config.baseUrl}) stays the URL the browser uses: point it at the new port.`;
  }
  // The default URL's host (`defaultBaseUrl`), with the port left for the person to choose.
  const callback = `http://${urlHostOf(config.host)}:<AGENT_PORT>/auth/callback`;
  return `The login callback, ${callback}, then names the new port, and the tenant must allow it: the AGENT_WEB_URL keyword of auth0/mock-auth0.json for the local tenant (pnpm dev sets it from AGENT_HOST and AGENT_PORT), the application's Allowed Callback URLs for a real one.`;
}
