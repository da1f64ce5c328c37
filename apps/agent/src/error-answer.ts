import { APICallError } from "ai";

import { answeredErrorWords } from "./model-error.js";

/** A JSON media type: `application/json`, or one of its `+json` kinds. */
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

/**
 * `fetch` for the model's server that reads a 200 whose body is one JSON error
 * (`{"error": {"message": ...}}`, `{"error": "..."}`) where a stream of events should be: some
 * Chat Completions servers and proxies answer a failure so. The provider reads such a body as a
 * stream, finds no event in it and drops it, with the server's words. It becomes the
 * provider's own error of a failed call instead (an `APICallError` of status 200 with the body),
 * which is not tried again. Any other answer is passed on as it came (a JSON body that is no
 * error, read here, is passed on whole).
 */
export function withErrorAnswersRead(send: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await send(input, init);
    const type = response.headers.get("content-type")?.split(";")[0]?.trim() ?? "";
    if (response.status !== 200 || !JSON_TYPE.test(type)) return response;
    const body = await response.text();
    const words = answeredErrorWords(body);
    if (words === undefined) {
      return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    }
    throw new APICallError({
      message: words,
      url: typeof input === "string" ? input : input instanceof URL ? input.href : input.url,
      requestBodyValues: typeof init?.body === "string" ? init.body : undefined,
      statusCode: 200,
      responseHeaders: Object.fromEntries(response.headers),
      responseBody: body,
      isRetryable: false,
    });
  };
}
