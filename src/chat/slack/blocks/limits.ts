/**
 * Slack's Block Kit limits (docs.slack.dev "Block Kit" reference): a message that breaks one is
 * refused as invalid_blocks or msg_blocks_too_long, so every message is checked against them.
 */
export const LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  /** Not documented as one number; Slack answers msg_blocks_too_long somewhat above this. */
  messageChars: 12_000,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  options: 100,
  optionText: 75,
  optionValue: 150,
  inputLabel: 2000,
  placeholder: 150,
} as const;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function textOf(v: unknown): string | undefined {
  return isObj(v) && typeof v.text === "string" ? v.text : undefined;
}

/** Every string a person can read in the blocks, for the total-size budget. */
export function blockTextLength(blocks: unknown[]): number {
  let n = 0;
  const walk = (v: unknown, key?: string) => {
    if (typeof v === "string") {
      if (key === "text") n += v.length;
    } else if (Array.isArray(v)) for (const x of v) walk(x);
    else if (isObj(v)) for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(blocks);
  return n;
}

export interface LimitOptions {
  /** A message (50 blocks) or a view: App Home and modals (100 blocks). */
  surface?: "message" | "view";
}

/**
 * The problems of a block list, in words ("block 3 (section): text is 3120 characters, max 3000");
 * empty when Slack would accept it as far as its documented limits go.
 */
export function checkBlockLimits(blocks: unknown, options: LimitOptions = {}): string[] {
  const problems: string[] = [];
  if (!Array.isArray(blocks)) return ["blocks is not an array"];
  const surface = options.surface ?? "message";
  const maxBlocks = surface === "message" ? LIMITS.messageBlocks : LIMITS.viewBlocks;
  if (blocks.length > maxBlocks) problems.push(`${blocks.length} blocks, max ${maxBlocks}`);
  if (surface === "message") {
    const total = blockTextLength(blocks);
    if (total > LIMITS.messageChars)
      problems.push(`${total} characters of text, max about ${LIMITS.messageChars}`);
  }
  const blockIds = new Set<string>();
  blocks.forEach((block, i) => {
    const at = (what: string): void => {
      problems.push(`block ${i} (${isObj(block) ? block.type : "?"}): ${what}`);
    };
    if (!isObj(block)) {
      at("not an object");
      return;
    }
    const len = (label: string, s: string | undefined, max: number, required = true) => {
      if (s === undefined) {
        if (required) at(`${label} is missing`);
      } else if (s.length > max) at(`${label} is ${s.length} characters, max ${max}`);
      else if (required && s.trim() === "") at(`${label} is empty`);
    };
    if (typeof block.block_id === "string") {
      len("block_id", block.block_id, LIMITS.blockId);
      if (blockIds.has(block.block_id)) at(`block_id ${block.block_id} is not unique`);
      blockIds.add(block.block_id);
    }
    switch (block.type) {
      case "header":
        if (isObj(block.text) && block.text.type !== "plain_text") at("header text must be plain_text");
        len("header text", textOf(block.text), LIMITS.headerText);
        break;
      case "section": {
        const fields = Array.isArray(block.fields) ? block.fields : undefined;
        if (!block.text && !fields) at("needs text or fields");
        if (block.text) len("text", textOf(block.text), LIMITS.sectionText);
        if (fields) {
          if (fields.length > LIMITS.sectionFields)
            at(`${fields.length} fields, max ${LIMITS.sectionFields}`);
          fields.forEach((f, j) => {
            len(`field ${j}`, textOf(f), LIMITS.fieldText);
          });
        }
        if (block.accessory) checkElement(block.accessory, "accessory", at);
        break;
      }
      case "context": {
        const els = Array.isArray(block.elements) ? block.elements : [];
        if (!els.length) at("context needs elements");
        if (els.length > LIMITS.contextElements) at(`${els.length} elements, max ${LIMITS.contextElements}`);
        els.forEach((e, j) => {
          if (isObj(e) && e.type !== "image") len(`element ${j} text`, textOf(e), LIMITS.contextText);
        });
        break;
      }
      case "actions": {
        const els = Array.isArray(block.elements) ? block.elements : [];
        if (!els.length) at("actions needs elements");
        if (els.length > LIMITS.actionsElements) at(`${els.length} elements, max ${LIMITS.actionsElements}`);
        const ids = new Set<string>();
        els.forEach((e, j) => {
          checkElement(e, `element ${j}`, at);
          const id = isObj(e) ? e.action_id : undefined;
          if (typeof id === "string") {
            if (ids.has(id)) at(`action_id ${id} is not unique in the block`);
            ids.add(id);
          }
        });
        break;
      }
      case "input":
        len("label", textOf(block.label), LIMITS.inputLabel);
        checkElement(block.element, "element", at);
        break;
      case "divider":
      case "image":
      case "rich_text":
        break;
      default:
        at(`unknown block type ${String(block.type)}`);
    }
  });
  return problems;
}

function checkElement(e: unknown, where: string, at: (what: string) => void): void {
  if (!isObj(e)) {
    at(`${where} is not an object`);
    return;
  }
  const len = (label: string, s: string | undefined, max: number) => {
    if (s === undefined) at(`${where} ${label} is missing`);
    else if (s.length > max) at(`${where} ${label} is ${s.length} characters, max ${max}`);
    else if (s.trim() === "") at(`${where} ${label} is empty`);
  };
  if (typeof e.action_id === "string") len("action_id", e.action_id, LIMITS.actionId);
  if (e.placeholder !== undefined) len("placeholder", textOf(e.placeholder), LIMITS.placeholder);
  switch (e.type) {
    case "button":
      len("text", textOf(e.text), LIMITS.buttonText);
      if (e.value !== undefined)
        len("value", typeof e.value === "string" ? e.value : undefined, LIMITS.buttonValue);
      if (e.style !== undefined && e.style !== "primary" && e.style !== "danger")
        at(`${where} style ${String(e.style)}`);
      break;
    case "static_select": {
      const options = Array.isArray(e.options) ? e.options : [];
      if (!options.length && !Array.isArray(e.option_groups)) at(`${where} has no options`);
      if (options.length > LIMITS.options)
        at(`${where} has ${options.length} options, max ${LIMITS.options}`);
      options.forEach((o, j) => {
        len(`option ${j} text`, textOf(isObj(o) ? o.text : undefined), LIMITS.optionText);
        len(
          `option ${j} value`,
          isObj(o) && typeof o.value === "string" ? o.value : undefined,
          LIMITS.optionValue,
        );
      });
      break;
    }
    case "plain_text_input":
      break;
    default:
      break;
  }
  if (e.confirm !== undefined) {
    const c = e.confirm;
    if (!isObj(c)) {
      at(`${where} confirm is not an object`);
      return;
    }
    len("confirm title", textOf(c.title), LIMITS.confirmTitle);
    len("confirm text", textOf(c.text), LIMITS.confirmText);
    len("confirm button", textOf(c.confirm), LIMITS.confirmButton);
    len("deny button", textOf(c.deny), LIMITS.confirmButton);
  }
}
