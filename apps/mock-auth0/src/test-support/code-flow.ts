import type { Express } from "express";
import request from "supertest";

/**
 * `GET /authorize` for a request that logs in with no page (`login.loginHintLogsIn` and a
 * `login_hint`): where the browser is sent, and the cookies it is given.
 */
export async function authorizeAtOnce(
  app: Express,
  query: Record<string, string>,
): Promise<{ location: URL; cookies: string[] }> {
  const response = await request(app).get("/authorize").query(query).expect(302);
  return {
    location: new URL(String(response.headers.location)),
    cookies: [response.headers["set-cookie"] ?? []].flat(),
  };
}

/** `POST /oauth/token` with the authorization_code grant for the code at `back`: the body. */
export async function exchangeCode(
  app: Express,
  back: URL,
  form: Record<string, string>,
): Promise<Record<string, unknown>> {
  const response = await request(app)
    .post("/oauth/token")
    .type("form")
    .send({ grant_type: "authorization_code", code: back.searchParams.get("code") ?? "", ...form })
    .expect(200);
  return response.body as Record<string, unknown>;
}
