/** The inventory file cannot be read or holds a value that makes no sense. */
export class InventoryError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly line?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ""}: ${problem}`);
    this.name = "InventoryError";
  }
}

/** A name that is neither a host nor a group of the inventory. */
export class UnknownHostError extends Error {
  constructor(
    readonly requested: string,
    readonly suggestions: string[],
  ) {
    const hint = suggestions.length > 0 ? `; did you mean ${suggestions.join(", ")}?` : ".";
    super(
      `unknown host "${requested}"${hint} Only hosts in the inventory (MEDIC_INVENTORY) can be diagnosed.`,
    );
    this.name = "UnknownHostError";
  }
}
