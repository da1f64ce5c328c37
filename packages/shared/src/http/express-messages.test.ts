import { IncomingMessage, ServerResponse, createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import express from "express";
import type { Express } from "express";
import { afterEach, describe, expect, it } from "vitest";

import { ExpressMessageClasses } from "./express-messages.js";

interface Seen {
  prototypeIsTheClass: boolean;
  prototypeSwapped: boolean;
  isIncomingMessage: boolean;
  isServerResponse: boolean;
  sameApp: boolean;
  header: string | undefined;
  ip: string | undefined;
}

function appThatReports(messages?: ExpressMessageClasses): Express {
  const app = express();
  app.use(express.json());
  app.post("/items/:id", (req, res) => {
    const seen: Seen = {
      prototypeIsTheClass:
        messages !== undefined &&
        Object.getPrototypeOf(req) === messages.IncomingMessage.prototype &&
        Object.getPrototypeOf(res) === messages.ServerResponse.prototype,
      prototypeSwapped: messages !== undefined && !(req instanceof messages.IncomingMessage),
      isIncomingMessage: req instanceof IncomingMessage,
      isServerResponse: res instanceof ServerResponse,
      sameApp: req.app === app,
      header: req.get("x-probe"),
      ip: req.ip,
    };
    res.status(201).json({ id: req.params.id, body: req.body as unknown, seen });
  });
  return app;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => {
    if (!server) {
      resolve();
      return;
    }
    server.close(() => {
      resolve();
    });
    server.closeAllConnections();
  });
  server = undefined;
});

async function post(app: Express, messages?: ExpressMessageClasses) {
  server = createServer(messages ? messages.serverOptions : {}, app);
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${String(port)}/items/42`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-probe": "yes" },
    body: JSON.stringify({ quantity: 2 }),
  });
  return {
    status: res.status,
    contentType: res.headers.get("content-type"),
    body: (await res.json()) as { id: string; body: unknown; seen: Seen },
  };
}

describe("ExpressMessageClasses", () => {
  it("serves an adopted Express app as Express would, with the classes' objects as req and res", async () => {
    const messages = new ExpressMessageClasses();
    const app = appThatReports(messages);
    messages.adopt(app);

    const answer = await post(app, messages);

    expect(answer.status).toBe(201);
    expect(answer.contentType).toBe("application/json; charset=utf-8");
    expect(answer.body).toEqual({
      id: "42",
      body: { quantity: 2 },
      seen: {
        // Express found the prototype it sets already in place.
        prototypeIsTheClass: true,
        prototypeSwapped: false,
        isIncomingMessage: true,
        isServerResponse: true,
        sameApp: true,
        header: "yes",
        ip: "127.0.0.1",
      },
    });
  });

  it("answers the same as a server made without it", async () => {
    const plain = await post(appThatReports());
    await new Promise<void>((resolve) =>
      server?.close(() => {
        resolve();
      }),
    );
    server = undefined;
    const messages = new ExpressMessageClasses();
    const app = appThatReports(messages);
    messages.adopt(app);
    const adopted = await post(app, messages);

    const { seen: plainSeen, ...plainRest } = plain.body;
    const { seen: adoptedSeen, ...adoptedRest } = adopted.body;
    expect(adoptedRest).toEqual(plainRest);
    expect({ ...adoptedSeen, prototypeIsTheClass: false }).toEqual(plainSeen);
    expect(adopted.status).toBe(plain.status);
    expect(adopted.contentType).toBe(plain.contentType);
  });

  it("serves one app correctly from two servers, each with its own classes", async () => {
    const first = new ExpressMessageClasses();
    const second = new ExpressMessageClasses();
    const app = appThatReports(second);
    first.adopt(app);
    second.adopt(app);

    const fromFirst = await post(app, first);
    await new Promise<void>((resolve) =>
      server?.close(() => {
        resolve();
      }),
    );
    server = undefined;
    const fromSecond = await post(app, second);

    expect(fromFirst.body.seen.sameApp).toBe(true);
    expect(fromFirst.body.body).toEqual({ quantity: 2 });
    expect(fromSecond.body.seen.prototypeIsTheClass).toBe(true);
    expect(fromSecond.body).toEqual({ ...fromFirst.body, seen: fromSecond.body.seen });
  });

  it("refuses a second app: one set of classes serves one app", () => {
    const messages = new ExpressMessageClasses();
    messages.adopt(express());
    expect(() => {
      messages.adopt(express());
    }).toThrow(/already adopted/);
  });
});
