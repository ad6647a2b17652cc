/**
 * Validation of values taken from events before they name a Kubernetes object. Every actionner
 * checks names here, before any request (not even a GET), so a hostile `..` or `a/../b` can never
 * change which object an API path points at.
 */

/** An event value that can't name a Kubernetes object: the action fails with this message. */
export class InvalidNameError extends Error {
  override name = "InvalidNameError";
}
