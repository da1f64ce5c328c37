export * from "./authorization-details.js";
export * from "./binding-message.js";
export * from "./clock.js";
export * from "./constants.js";
export * from "./env.js";
export * from "./oauth-error.js";
export * from "./product-reference.js";
export * from "./purchase.js";
