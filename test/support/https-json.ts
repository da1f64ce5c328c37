import { readFileSync } from "node:fs";
import { request } from "node:https";

/** GET a JSON document over HTTPS, trusting the given CA file (this process has no NODE_EXTRA_CA_CERTS). */
export function getJson<T>(url: string, caFile: string): Promise<T> {
  const ca = readFileSync(caFile);
  return new Promise<T>((resolve, reject) => {
    request(url, { ca }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => {
        try {
          resolve(JSON.parse(body) as T);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    })
      .on("error", reject)
      .end();
  });
}
