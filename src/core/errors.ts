/**
 * An error caused by user input (a flag, a file, a model folder). The CLI prints its message
 * without a stack trace and exits with code 2.
 */
export class UserError extends Error {
  override readonly name = "UserError";
}

/** Returns the message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
