// Targets go into probe commands: intake accepts exactly the IPv4 addresses the probes accept.
export { isIPv4 } from "../probes/util.js";
export {
  type InventoryNames,
  type ParsedRequest,
  parseRequest,
  suggestNames,
} from "./parse.js";
