import { pino } from "pino";
import request from "supertest";
import { describe, expect, it, vi } from "vitest";

import { createApp } from "./app.js";
import { createHarness } from "./test-support/harness.js";

const form = (params: number) => Array.from({ length: params }, (_, i) => `p${i}=1`).join("&");

describe("the tenant's errors, through the shared serializer", () => {
  it("names the limit of the route that refused a body: 20 KB for OAuth, 64 KB for control", async () => {
    const { app } = await createHarness();
    const tooLarge = await request(app)
      .post("/oauth/token")
      .type("form")
      .send(`a=${"x".repeat(30_000)}`)
      .expect(413);
    expect(tooLarge.body).toEqual({
      error: "invalid_request",
      error_description: "Request body too large: at most 20480 bytes",
    });

    const policy = (size: number) =>
      request(app)
        .put("/approver/api/policy")
        .send({ default: "manual", rules: [], note: "x".repeat(size) });
    // Read, then refused for its content: under the control API's limit.
    expect((await policy(30_000).expect(400)).body.error_description).toMatch(/^Invalid policy/);
    expect((await policy(70_000).expect(413)).body).toEqual({
      error: "invalid_request",
      error_description: "Request body too large: at most 65536 bytes",
    });
  });

  it("answers a form with too many parameters with 413 invalid_request", async () => {
    const { app } = await createHarness();
    const response = await request(app).post("/bc-authorize").type("form").send(form(1_500));
    expect(response.status).toBe(413);
    expect(response.body).toEqual({
      error: "invalid_request",
      error_description: "Too many form parameters in the body",
    });
  });

  it("answers an unexpected failure with a logged 500 server_error that leaks nothing", async () => {
    const h = await createHarness();
    const logged: { msg: string }[] = [];
    const logger = pino(
      { level: "error" },
      { write: (line: string) => logged.push(JSON.parse(line)) },
    );
    const app = createApp(
      { issuer: "https://localhost:4010/", tenant: h.tenant },
      { ...h, logger },
    );
    vi.spyOn(h.store, "list").mockImplementation(() => {
      throw new Error("secret detail");
    });

    const response = await request(app).get("/approver/api/requests").expect(500);
    expect(response.body).toEqual({
      error: "server_error",
      error_description: "The server hit an unexpected error; try again later",
    });
    expect(JSON.stringify(response.body)).not.toContain("secret");
    expect(logged.map((record) => record.msg)).toContain("unexpected error");
  });
});
