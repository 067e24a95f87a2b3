export {
  type InventoryNames,
  isIPv4,
  type ParsedRequest,
  parseRequest,
  suggestNames,
} from "./parse.js";
