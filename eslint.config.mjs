// ESLint for the browser scripts in static/ (scripts/test runs `npx eslint static/`).
// They are plain scripts, not modules (old phones run them), each wrapped in an
// IIFE and sharing only window.jy; ES2020 is what the phones we serve understand.
import js from "@eslint/js";
import globals from "globals";

export default [
  {
    files: ["static/**/*.js"],
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "script",
      globals: { ...globals.browser },
    },
    rules: {
      ...js.configs.recommended.rules,
      // `catch (e) { fallback }` is how these scripts say "storage full / private
      // mode: go on"; the binding-less `catch {}` would not parse on the older
      // WebViews (WeChat's X5) that some residents' phones still use.
      "no-unused-vars": ["error", { caughtErrors: "none" }],
    },
  },
];
