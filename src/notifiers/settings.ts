/** Setting schemas shared by notifiers. */
import { z } from "zod";

/** `custom_headers`: YAML may give numbers or booleans (`X-Retry: 3`); they become strings. */
export const customHeaders = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
  .default({});

/** An absolute http(s) URL. */
export const httpUrl = z
  .string()
  .min(1, "url is required")
  .refine((u) => /^https?:\/\/[^/\s]+/i.test(u) && URL.canParse(u), { message: "must be an http(s):// URL" });

/** Per-notifier HTTP behaviour: timeout and bounded retries. */
export const httpBehaviour = {
  timeout_seconds: z.coerce.number().positive().default(10),
  max_attempts: z.coerce.number().int().min(1).max(10).default(3),
};
