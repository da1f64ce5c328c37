export * from "./error-handler.js";
export * from "./error-table.js";
export * from "./request-errors.js";
