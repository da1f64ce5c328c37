/**
 * The mock-auth0 process. Its two RSA signing keys take the longest to make at start (a few
 * hundred ms, in libuv's thread pool): they are started before anything else loads, so they
 * are made while the rest of the process loads, reads the tenant and starts listening
 * (`main-process.ts`); requests that need them wait for them (`createApp`).
 */
import { SigningKeys } from "./signing-keys.js";

const signingKeys = SigningKeys.start();

const { runMockAuth0Process } = await import("./main-process.js");
await runMockAuth0Process(signingKeys);
