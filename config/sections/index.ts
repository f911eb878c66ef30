// Every stack config section, in the order they appear in the docs. A concern
// adds its section file and one entry here; nothing else needs to change.
import { cluster } from "./cluster";
import { core } from "./core";
import { sizing } from "./sizing";

export const SECTIONS = [core, sizing, cluster] as const;
