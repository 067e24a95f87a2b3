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

/**
 * A group without hosts: nothing could be diagnosed, so it is refused like an unknown name (exit 2,
 * no incident) instead of an empty report that looks like success.
 */
export class EmptyGroupError extends UnknownHostError {
  constructor(group: string, file: string) {
    super(group, []);
    this.message = `group "${group}" has no hosts in ${file}; add hosts under it or name a host`;
    this.name = "EmptyGroupError";
  }
}

/** The inventory has no host at all (an empty file, or only empty groups). */
export class EmptyInventoryError extends UnknownHostError {
  constructor(requested: string, file: string) {
    super(requested, []);
    this.message = `unknown host "${requested}": the inventory ${file} has no hosts (check MEDIC_INVENTORY)`;
    this.name = "EmptyInventoryError";
  }
}
