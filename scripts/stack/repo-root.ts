import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const TSX_BIN = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));
