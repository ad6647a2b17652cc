/** A fatal problem at startup (invalid rules or config): the CLI prints it and exits 1. */
export class StartupError extends Error {}
