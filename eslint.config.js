// @ts-check
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

/**
 * The TypeScript programs the typed rules use, one per tsconfig: the one `pnpm typecheck`
 * checks, and the browser code's. `pnpm check` (scripts/check.js) builds the same ones.
 */
export const TSCONFIGS = ["./tsconfig.json", "./apps/agent/src/web/client/tsconfig.json"];

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      "build/**",
      "build.*/**",
      "coverage/**",
      ".certs/**",
      "reports/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      // One TypeScript program for the whole repository (the one `pnpm typecheck` checks) and
      // one for the browser code, instead of one per package: the packages share most of their
      // types, so this lints in half the CPU time, on one core.
      parserOptions: {
        project: TSCONFIGS,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      // esbuild escapes characters beyond ASCII in strings but copies them into a regular
      // expression as they are, and one such character makes V8 hold the whole bundle as a
      // two-byte string: the agent CLI's 3.9 MB took about 11 ms more CPU at every run.
      "no-restricted-syntax": [
        "error",
        {
          selector: "Literal[regex.pattern=/[^\\x00-\\x7f]/]",
          message:
            "Write characters beyond ASCII in a regular expression as escapes (\\u2019, \\p{...}): the build copies them as they are, which makes V8 keep the whole bundle as a two-byte string.",
        },
      ],
    },
  },
  {
    files: ["**/*.test.ts", "test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
  { files: ["**/*.js", "**/*.cjs"], extends: [tseslint.configs.disableTypeChecked] },
  { files: ["apps/*/public/**/*.js"], languageOptions: { globals: { ...globals.browser } } },
  prettier,
);
