import { pino, type LevelWithSilent } from "pino";
import { z } from "zod";

/** pino's own level names (`pino.levels.values`) plus `silent`, so the list is never copied. */
export const LOG_LEVELS: readonly LevelWithSilent[] = [
  ...(Object.keys(pino.levels.values) as LevelWithSilent[]),
  "silent",
];

export const logLevelSchema = z.custom<LevelWithSilent>(
  (value) => typeof value === "string" && (LOG_LEVELS as readonly string[]).includes(value),
  { message: `must be one of ${LOG_LEVELS.join(", ")}` },
);
