export * from "./error-handler.js";
export * from "./error-serializer.js";
export * from "./error-table.js";
export * from "./headers.js";
export * from "./request-errors.js";
export * from "./log-level.js";
export * from "./send-json.js";
export * from "./express-messages.js";
