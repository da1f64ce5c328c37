export * from "./local-ca.js";
export * from "./network-error.js";
