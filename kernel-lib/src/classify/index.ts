/** Filled in by its issue (see the folder's modules). */
export {};
