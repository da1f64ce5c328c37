import { createServer } from "node:http";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { connect } from "node:net";
import type { AddressInfo, Socket } from "node:net";

import { afterEach, describe, expect, it } from "vitest";

import { serveUntilStopped } from "./serve-until-stopped.js";

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One client connection, read raw: every answer it got, and how it ended. */
class RawConnection {
  private data = "";
  /** Resolves when the connection has closed: the socket error's code, if any. */
  readonly closed: Promise<string | undefined>;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.data += chunk.toString("latin1");
      this.onData?.();
    });
    this.closed = new Promise((resolve) => {
      let code: string | undefined;
      socket.on("error", (error: NodeJS.ErrnoException) => {
        code = error.code ?? error.message;
      });
      socket.on("close", () => {
        resolve(code);
      });
    });
  }

  private onData: (() => void) | undefined;

  /** Resolves once the TCP handshake is done: the kernel has queued it for the server. */
  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new RawConnection(socket));
      });
    });
  }

  send(path = "/"): void {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  }

  /** The answers received so far, whole ones only (each has a Content-Length). */
  get answers(): Answer[] {
    const answers: Answer[] = [];
    let rest = this.data;
    for (;;) {
      const end = rest.indexOf("\r\n\r\n");
      if (end === -1) return answers;
      const [statusLine = "", ...lines] = rest.slice(0, end).split("\r\n");
      const headers = Object.fromEntries(
        lines.map((line) => {
          const colon = line.indexOf(":");
          return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
        }),
      );
      const length = Number(headers["content-length"]);
      if (rest.length < end + 4 + length) return answers;
      answers.push({
        status: Number(statusLine.split(" ")[1]),
        headers,
        body: rest.slice(end + 4, end + 4 + length),
      });
      rest = rest.slice(end + 4 + length);
    }
  }

  /** Resolves once `count` whole answers have come. */
  answered(count = 1): Promise<Answer[]> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.answers.length >= count) {
          this.onData = undefined;
          resolve(this.answers);
        }
      };
      this.onData = check;
      check();
    });
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

const refuse: RequestListener = (_req, res) => {
  res.writeHead(503, { "Content-Length": 7, "Retry-After": "2" });
  res.end("stopped");
};

const servers: { stop: () => Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

/** A server on port 0 with a stop whose grace ends when the test says (`endGrace`). */
async function start(app: RequestListener) {
  const grace = deferred();
  const server = createServer();
  // Longer than any test: only the stop closes a keep-alive connection.
  server.keepAliveTimeout = 600_000;
  const stop = serveUntilStopped(server, app, {
    graceMs: 3_000,
    refuse,
    sleep: () => grace.promise,
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  let stopped: Promise<void> | undefined;
  const handle = {
    port: (server.address() as AddressInfo).port,
    server,
    stop: () => (stopped ??= stop()),
    endGrace: grace.resolve,
  };
  servers.push({
    stop: () => {
      grace.resolve();
      return handle.stop();
    },
  });
  return handle;
}

const ok = (res: ServerResponse) => {
  res.writeHead(200, { "Content-Length": 2 });
  res.end("ok");
};

describe("serveUntilStopped", () => {
  it("answers the requests of connections the kernel had queued when the stop began, none reset", async () => {
    const shop = await start((_req, res) => {
      ok(res);
    });
    // Connected as the client sees it: libuv accepts one connection per turn of the event
    // loop, so most are still in the listening socket's queue when the stop begins.
    const connections = await Promise.all(
      Array.from({ length: 50 }, () => RawConnection.open(shop.port)),
    );
    const stopped = shop.stop();
    for (const connection of connections) connection.send();
    const ends = await Promise.all(connections.map((connection) => connection.closed));
    await stopped;

    expect(ends).toEqual(connections.map(() => undefined));
    for (const connection of connections) {
      expect(connection.answers).toEqual([
        {
          status: 503,
          headers: expect.objectContaining({ connection: "close", "retry-after": "2" }) as unknown,
          body: "stopped",
        },
      ]);
    }
  });

  it("finishes a request under way and says Connection: close, then closes", async () => {
    const release = deferred();
    const underWay = deferred();
    const shop = await start((_req, res) => {
      underWay.resolve();
      void release.promise.then(() => {
        ok(res);
      });
    });
    const client = await RawConnection.open(shop.port);
    client.send();
    await underWay.promise;

    let stopEnded = false;
    const stopped = shop.stop().then(() => (stopEnded = true));
    // Node counts it busy: the stop waits for its answer.
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopEnded).toBe(false);
    release.resolve();

    expect(await client.closed).toBeUndefined();
    expect(client.answers).toEqual([
      {
        status: 200,
        headers: expect.objectContaining({ connection: "close" }) as unknown,
        body: "ok",
      },
    ]);
    await stopped;
  });

  it("closes a keep-alive connection whose answer had begun once that answer is done", async () => {
    const release = deferred();
    const answering = deferred();
    const shop = await start((_req, res) => {
      res.writeHead(200, { "Content-Length": 2 });
      res.write("o");
      answering.resolve();
      void release.promise.then(() => res.end("k"));
    });
    const client = await RawConnection.open(shop.port);
    client.send();
    await answering.promise;
    const stopped = shop.stop();
    release.resolve();

    expect(await client.closed).toBeUndefined();
    expect(client.answers).toEqual([
      {
        status: 200,
        headers: expect.objectContaining({ connection: "keep-alive" }) as unknown,
        body: "ok",
      },
    ]);
    await stopped;
  });

  it("closes a keep-alive connection idle after an answer, and one that never sent a request once the grace is over", async () => {
    const shop = await start((_req: IncomingMessage, res) => {
      ok(res);
    });
    const served = await RawConnection.open(shop.port);
    served.send();
    await served.answered();
    const silent = await RawConnection.open(shop.port);

    let stopEnded = false;
    const stopped = shop.stop().then(() => (stopEnded = true));
    expect(await served.closed).toBeUndefined();
    expect(served.answers).toHaveLength(1);
    // Its request may be on its way: it is kept until the grace is over.
    expect(stopEnded).toBe(false);
    shop.endGrace();
    await silent.closed;
    await stopped;
    expect(silent.answers).toEqual([]);
  });

  it("refuses a request sent on a connection accepted before the stop, and stops listening", async () => {
    const shop = await start((_req, res) => {
      ok(res);
    });
    const accepted = new Promise((resolve) => shop.server.once("connection", resolve));
    const early = await RawConnection.open(shop.port);
    await accepted;
    const stopped = shop.stop();
    early.send();
    expect(await early.closed).toBeUndefined();
    expect(early.answers.map((answer) => answer.status)).toEqual([503]);
    await stopped;
    expect(shop.server.listening).toBe(false);
    await expect(RawConnection.open(shop.port)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
