export * from "./local-ca.js";
