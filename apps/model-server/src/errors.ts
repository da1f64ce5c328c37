/** The body of every error this server answers with: OpenAI's own shape, which its clients parse. */
export interface ApiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** One error answer: the HTTP status and OpenAI's `type`, `code` and `param`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string | null,
    message: string,
    readonly param: string | null = null,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  toJSON(): ApiErrorBody {
    return {
      error: { message: this.message, type: this.type, param: this.param, code: this.code },
    };
  }
}

interface ErrorSpec {
  status: number;
  type: string;
  code: string | null;
  /** When the server answers with it: documentation, not the message. */
  when: string;
}

type ErrorFactory = (message: string, param?: string | null) => ApiError;

function defineApiErrors<const T extends Record<string, ErrorSpec>>(
  table: T,
): { readonly [K in keyof T]: ErrorFactory } & { readonly table: T } {
  const factories = Object.fromEntries(
    Object.entries(table).map(([name, spec]) => [
      name,
      ((message, param = null) =>
        new ApiError(spec.status, spec.type, spec.code, message, param)) satisfies ErrorFactory,
    ]),
  ) as { readonly [K in keyof T]: ErrorFactory };
  return { ...factories, table };
}

/**
 * Every error this server answers with, in status order. A request the offline model cannot
 * answer is a 4xx with a message saying what to change, never guessed at; a 5xx is a bug, or a
 * request that came while the server was stopping. The `type` values are OpenAI's, so clients
 * classify them as they would OpenAI's own.
 */
export const errors = defineApiErrors({
  invalidRequest: {
    status: 400,
    type: "invalid_request_error",
    code: "invalid_request",
    when:
      "the body is not JSON, breaks the endpoint's schema (the message names the field), or " +
      "nests deeper than MAX_BODY_DEPTH levels",
  },
  arrayTooLong: {
    status: 400,
    type: "invalid_request_error",
    code: "array_above_max_length",
    when:
      "an array is longer than OpenAI takes (messages, tools, an assistant's tool_calls) or " +
      "than this server reads (Responses input, content parts, scripted replies): `src/limits.ts`",
  },
  invalidConversation: {
    status: 400,
    type: "invalid_request_error",
    code: "invalid_conversation",
    when:
      "a tool call has no result, a result answers no call, or tool_choice names a tool that " +
      "is not offered",
  },
  noPurchaseTool: {
    status: 400,
    type: "invalid_request_error",
    code: "no_purchase_tool",
    when:
      "the user asks for a purchase and tools are offered, but none looks like a purchase " +
      "tool (a product and a quantity in its JSON schema)",
  },
  ambiguousPurchaseTool: {
    status: 400,
    type: "invalid_request_error",
    code: "ambiguous_purchase_tool",
    when: "more than one offered tool looks like a purchase tool, and tool_choice names none",
  },
  unfillableToolArguments: {
    status: 400,
    type: "invalid_request_error",
    code: "unfillable_tool_arguments",
    when: "the purchase tool requires an argument the offline model cannot fill",
  },
  toolChoiceUnsatisfiable: {
    status: 400,
    type: "invalid_request_error",
    code: "tool_choice_unsatisfiable",
    when: "tool_choice requires a tool call, but the last user message asks for no purchase",
  },
  unsupportedResponseFormat: {
    status: 400,
    type: "invalid_request_error",
    code: "unsupported_response_format",
    when: "the request asks for JSON output (structured output); only scripted replies give it",
  },
  unknownItem: {
    status: 400,
    type: "invalid_request_error",
    code: "item_not_found",
    when:
      "an `item_reference` names an item this server did not produce, or no longer keeps (its " +
      "response was dropped past RESPONSE_STORE_BUDGET)",
  },
  unknownPreviousResponse: {
    status: 400,
    type: "invalid_request_error",
    code: "previous_response_not_found",
    when:
      "`previous_response_id` names a response this server does not keep: never stored, or " +
      "dropped past RESPONSE_STORE_BUDGET",
  },
  missingApiKey: {
    status: 401,
    type: "invalid_request_error",
    code: "missing_api_key",
    when: "no `Authorization: Bearer <key>` header",
  },
  invalidApiKey: {
    status: 401,
    type: "invalid_request_error",
    code: "invalid_api_key",
    when: "MODEL_SERVER_API_KEY is set and the request's key differs",
  },
  notFound: {
    status: 404,
    type: "invalid_request_error",
    code: "unknown_url",
    when: "no such route or method",
  },
  payloadTooLarge: {
    status: 413,
    type: "invalid_request_error",
    code: "request_too_large",
    when:
      "the body is larger than the server reads (JSON_BODY_LIMIT), or holds more array " +
      "elements and object members (MAX_BODY_ELEMENTS)",
  },
  unsupportedMediaType: {
    status: 415,
    type: "invalid_request_error",
    code: "unsupported_media_type",
    when: "the body is not UTF-8 JSON, or its Content-Encoding is not supported",
  },
  serverError: {
    status: 500,
    type: "server_error",
    code: "server_error",
    when: "a bug in this server (logged; no details are returned)",
  },
  unavailable: {
    status: 503,
    type: "server_error",
    code: "service_unavailable",
    when: "a request that begins once the server is stopping (nothing was done), with Retry-After",
  },
});
