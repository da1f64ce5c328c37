/**
 * The mock-auth0 process. Its two RSA signing keys take the longest to make at start (a few
 * hundred ms, in libuv's thread pool): they are started before anything else loads, so they
 * are made while the rest of the process loads and reads the tenant (`main-process.ts`).
 */
import { SigningKeys } from "./signing-keys.js";

const signingKeys = SigningKeys.create();
// Awaited once the tenant is read; a failure is reported there, not as an unhandled rejection.
signingKeys.catch(() => undefined);

const { runMockAuth0Process } = await import("./main-process.js");
await runMockAuth0Process(signingKeys);
