import type { Express } from "express";
import request from "supertest";

/** A cookie jar after a response's `Set-Cookie` lines: set, replaced, or cleared by expiry. */
export function rememberCookies(jar: Map<string, string>, setCookie: readonly string[]): void {
  for (const line of setCookie) {
    const [pair = ""] = line.split(";");
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (value === "" || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
}

/** A browser in miniature against an app in memory: one cookie jar, redirects read, not followed. */
export class LoginBrowser {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly app: Express) {}

  private remember(response: request.Response): request.Response {
    const header = response.headers["set-cookie"] as string[] | string | undefined;
    rememberCookies(this.cookies, typeof header === "string" ? [header] : (header ?? []));
    return response;
  }

  private cookie(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  async get(path: string): Promise<request.Response> {
    return this.remember(await request(this.app).get(path).set("Cookie", this.cookie()));
  }

  async post(path: string, form: Record<string, string>): Promise<request.Response> {
    return this.remember(
      await request(this.app).post(path).set("Cookie", this.cookie()).type("form").send(form),
    );
  }

  /** `/authorize` with `params`, then the login page it leads to: its transaction's `state`. */
  async startLogin(params: Record<string, string>): Promise<string> {
    const start = await this.get(`/authorize?${new URLSearchParams(params).toString()}`);
    const page = await this.get(String(start.headers.location));
    return /name="state" value="([^"]+)"/.exec(page.text)?.[1] ?? "";
  }
}
