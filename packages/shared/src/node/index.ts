export * from "./invocation-dir.js";
export * from "./local-ca.js";
export * from "./network-error.js";
export * from "./ready-record.js";
export * from "./close-on-signals.js";
export * from "./server-bin.js";
