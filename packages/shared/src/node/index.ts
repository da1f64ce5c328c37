export * from "./free-port.js";
export * from "./invocation-dir.js";
export * from "./kill-on-exit.js";
export * from "./local-ca.js";
export * from "./network-error.js";
export * from "./ready-record.js";
export * from "./close-on-signals.js";
export * from "./server-bin.js";
