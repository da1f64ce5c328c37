import { stopEarly } from "./early-stop.js";

// Imported first by launch.ts, so evaluated before any other module of build/agent.cjs: a
// Ctrl-C while the launcher and the CLI's bundle load is said, not a silent death by the signal.
stopEarly();
