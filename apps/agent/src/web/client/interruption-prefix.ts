/** `@auth0/ai-vercel/interrupts`' InterruptionPrefix, for the browser bundle (a test checks they agree). */
export const INTERRUPTION_PREFIX = "AUTH0_AI_INTERRUPTION:";
